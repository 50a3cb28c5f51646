/* global document */
/** A tiny element builder: text goes in as text nodes, never as HTML. */

/**
 * @param {string} tag  element name, optionally with classes: 'span.badge.ok'
 * @param {Record<string, string | number | boolean | undefined>} [attrs]  attributes; `style` and `title` too
 * @param {...(Node | string | number | null | undefined)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const [name = 'div', ...classes] = tag.split('.');
  const el = document.createElement(name);
  if (classes.length > 0) el.className = classes.join(' ');
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    // Through the CSSOM: the page's CSP refuses style attributes.
    if (key === 'style') el.style.cssText = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
  return el;
}

/**
 * Replaces the children of the element with this id.
 * @param {string} id
 * @param {...(Node | string)} children
 */
export function fill(id, ...children) {
  byId(id).replaceChildren(...children);
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`dashboard: no #${id} in the page`);
  return el;
}
