/**
 * The phi of phi-accrual failure detection (Hayashibara et al., "The phi accrual failure
 * detector", 2004), with the normal CDF replaced by the logistic approximation Akka uses
 * (PhiAccrualFailureDetector, after Bowling et al. 2009, "A logistic approximation to the
 * cumulative normal distribution"):
 *
 *   y = (t - mean) / stdDeviation
 *   F(y) ~= 1 / (1 + exp(-z)),   z = y * (1.5976 + 0.070566 * y^2)     (max error ~1.4e-4)
 *   phi  = -log10(1 - F(y)) = log10(1 + exp(z)) = softplus(z) / ln 10
 *
 * Akka evaluates `-log10(e / (1 + e))` with `e = exp(-z)`, which becomes +Infinity once `e`
 * underflows (y > ~21). Written as a softplus, phi stays finite for every finite input:
 * for z > 0 it is `(z + log1p(exp(-z))) / ln 10`, for z <= 0 `log1p(exp(z)) / ln 10`; neither
 * branch overflows, and both are exact where the other would lose precision.
 *
 * phi is strictly increasing in t (z is an odd cubic with positive coefficients), is log10(2)
 * at the mean, and phi = k means "a heartbeat this late happens with probability ~10^-k".
 */
const LOGISTIC_LINEAR = 1.5976;
const LOGISTIC_CUBIC = 0.070566;

export function phiOf(elapsedMs: number, meanMs: number, stdDeviationMs: number): number {
  const y = (elapsedMs - meanMs) / stdDeviationMs;
  const z = y * (LOGISTIC_LINEAR + LOGISTIC_CUBIC * y * y);
  const phi = softplus(z) / Math.LN10;
  // Only a non-finite input reaches here (|y| > ~1e102): keep the result a usable number.
  if (Number.isNaN(phi)) return 0;
  return Math.min(phi, Number.MAX_VALUE);
}

/** The logistic approximation of the standard normal CDF used above (exported for tests and docs). */
export function logisticNormalCdf(y: number): number {
  const z = y * (LOGISTIC_LINEAR + LOGISTIC_CUBIC * y * y);
  return 1 / (1 + Math.exp(-z));
}

/** log(1 + exp(z)) without overflow for large z or loss of precision for very negative z. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}
