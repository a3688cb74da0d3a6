import Foundation

/// How improbable a whole incident is under its series' model, and so
/// whether it pages.
///
/// Each alert's improbability is the two-sided p of its calibrated
/// normal-equivalent score, p = P(|Z| ≥ |z| / κ) (the series' tail factor
/// κ of its side, `SidedTail`). An incident's alerts are combined by
/// Fisher's method: its evidence is S = Σ −2 ln pᵢ, and under the model
/// (independent samples, each p uniform) S of k alerts follows χ² with 2k
/// degrees of freedom, so the incident's combined p is
///
///     P(χ²₂ₖ ≥ S) = e^(−S/2) · Σ_{j<k} (S/2)^j / j!
///
/// One extreme sample and a long run of moderate ones both make a small
/// combined p; a run of alerts that each only just pass the threshold
/// does not count as more than its length says.
///
/// An incident is **critical** from the alert at which its combined p
/// first falls to `criticalP` or below, and stays critical; until then it
/// is a **warning**. `criticalP` comes from the rate an operator accepts:
/// `critical_rate` chance critical incidents per series per day, over the
/// samples a series sends in a day (`criticalP(rate:samplesPerDay:)`).
/// At the default 0.001 and 5-minute samples that is 3.5e-6: a lone alert
/// must be as unlikely as |z| ≥ 4.64; two alerts in one incident at the
/// threshold (3.5) come to 3.5e-6 together.
package enum IncidentSeverity: String, Sendable, Hashable, CaseIterable {
  case warning
  case critical

  /// One alert's share of the evidence, −2 ln p with p = P(|Z| ≥ |z|),
  /// for a calibrated normal-equivalent score z. Computed from erfc (full
  /// relative precision in the tail); normal-equivalent scores are capped
  /// at 37.5, where p is 4.6e-308, still a normal double.
  package static func evidence(ofCalibratedZ z: Double) -> Double {
    let p = NormalDistribution.twoSidedTail(min(abs(z), 37.5))
    return p >= 1 ? 0 : -2 * log(p)
  }

  /// ln P(χ²₂ₖ ≥ S): the natural log of the combined p of `alerts` alerts
  /// with total evidence S, by the finite sum above in log space (its terms
  /// grow, then shrink: the largest is factored out so none overflows).
  package static func logCombinedP(evidence s: Double, alerts k: Int) -> Double {
    guard k > 0, s > 0 else { return 0 }
    let half = s / 2
    // ln of the j-th term: j ln(S/2) − ln j!
    var logTerms: [Double] = []
    logTerms.reserveCapacity(min(k, 4096))
    var largest = -Double.infinity
    for j in 0..<k {
      // lgamma: ln j! to full precision, where a running sum of logs drifts.
      let term = Double(j) * log(half) - lgamma(Double(j + 1))
      logTerms.append(term)
      largest = max(largest, term)
      // Past the largest term they only shrink: 40 nats below it, the rest
      // add less than 1e-17 relative.
      if term < largest - 40 { break }
    }
    let sum = logTerms.reduce(0) { $0 + exp($1 - largest) }
    return min(0, -half + largest + log(sum))
  }

  /// The combined p at or below which an incident is critical, for at most
  /// `rate` chance critical incidents per series per day when a series
  /// sends `samplesPerDay` samples a day.
  package static func criticalP(rate: Double, samplesPerDay: Double) -> Double {
    min(1, max(rate, 0) / max(samplesPerDay, 1))
  }

  /// The severity of an incident with this evidence and count of alerts.
  package static func of(evidence: Double, alerts: Int, criticalP: Double) -> IncidentSeverity {
    guard criticalP > 0 else { return .warning }
    return logCombinedP(evidence: evidence, alerts: alerts) <= log(criticalP) ? .critical : .warning
  }
}
