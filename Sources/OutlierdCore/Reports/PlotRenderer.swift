import Foundation

/// Draws PlotData as a standalone SVG that any browser shows.
package enum PlotRenderer {
  package static func svg(_ data: PlotData, width: Double = 1200, height: Double = 420) -> String {
    let left = 72.0, right = 16.0, top = 58.0, bottom = 48.0
    let plotWidth = width - left - right, plotHeight = height - top - bottom
    let times = data.observed.map(\.time) + data.model.map(\.time) + data.alerts.map(\.time)
    let values =
      data.observed.map(\.value) + data.model.flatMap { [$0.lower, $0.upper] } + data.alerts.map(\.value)
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(left)" y="20" font-size="15" font-weight="bold">\(escape(data.title))</text>

      """
    guard let t0 = times.min(), let t1 = times.max(), let v0 = values.min(), let v1 = values.max() else {
      return svg + "<text x=\"\(left)\" y=\"\(top + 20)\">no samples in this range</text>\n</svg>\n"
    }
    let tSpan = max(t1 - t0, 1)
    let pad = max((v1 - v0) * 0.06, abs(v1) * 1e-6, 1e-9)
    let yLow = v0 - pad, yHigh = v1 + pad
    func x(_ t: Double) -> Double { left + (t - t0) / tSpan * plotWidth }
    func y(_ v: Double) -> Double { top + (yHigh - v) / (yHigh - yLow) * plotHeight }
    func point(_ t: Double, _ v: Double) -> String { String(format: "%.1f,%.1f", x(t), y(v)) }

    // Grid and axes.
    for tick in niceTicks(low: yLow, high: yHigh, count: 6) {
      svg += String(
        format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n", left,
        left + plotWidth, y(tick), y(tick))
      svg += String(
        format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%@</text>\n", left - 6,
        y(tick) + 4, String(format: "%g", tick) as NSString)
    }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = data.zone
    let step = timeStep(span: tSpan)
    formatter.dateFormat = step >= 86_400 ? "EEE MM-dd" : "EEE HH:mm"
    var tick = (t0 / step).rounded(.up) * step
    while tick <= t1 {
      svg += String(
        format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n", x(tick),
        x(tick), top, top + plotHeight)
      svg += String(
        format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">%@</text>\n", x(tick),
        top + plotHeight + 18, formatter.string(from: Date(timeIntervalSince1970: tick)) as NSString)
      tick += step
    }
    svg += String(
      format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#999\"/>\n",
      left, top, plotWidth, plotHeight)
    svg +=
      "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\" fill=\"#555\">time (\(escape(data.zone.identifier)))</text>\n"

    // Band and expected line, in segments separated where a slot could not judge.
    let gap = 3 * medianStep(data.model.map(\.time))
    for segment in segments(data.model, gap: gap, time: \.time) where !segment.isEmpty {
      let upper = segment.map { point($0.time, $0.upper) }
      let lower = segment.reversed().map { point($0.time, $0.lower) }
      svg +=
        "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"#9ecae1\" fill-opacity=\"0.45\" stroke=\"none\"/>\n"
      svg +=
        "<polyline points=\"\(segment.map { point($0.time, $0.expected) }.joined(separator: " "))\" fill=\"none\" stroke=\"#2171b5\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\"/>\n"
    }
    // Observed values.
    let observedGap = 3 * medianStep(data.observed.map(\.time))
    for segment in segments(data.observed, gap: observedGap, time: \.time) where !segment.isEmpty {
      svg +=
        "<polyline points=\"\(segment.map { point($0.time, $0.value) }.joined(separator: " "))\" fill=\"none\" stroke=\"#252525\" stroke-width=\"1.2\"/>\n"
    }
    // Alerts.
    for alert in data.alerts {
      let label =
        "\(formatter.string(from: Date(timeIntervalSince1970: alert.time))): \(String(format: "%g", alert.value)), score \(String(format: "%+.2f", alert.score))"
      svg += String(
        format:
          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#e31a1c\" fill-opacity=\"0.85\" stroke=\"white\"><title>%@</title></circle>\n",
        x(alert.time), y(alert.value), escape(label) as NSString)
    }
    // Legend.
    svg += """
      <g transform="translate(\(left),30)">
      <line x1="0" x2="22" y1="6" y2="6" stroke="#252525" stroke-width="1.5"/><text x="28" y="10">observed</text>
      <line x1="100" x2="122" y1="6" y2="6" stroke="#2171b5" stroke-width="1.5" stroke-dasharray="5,3"/><text x="128" y="10">expected</text>
      <rect x="200" y="0" width="22" height="12" fill="#9ecae1" fill-opacity="0.45"/><text x="228" y="10">band</text>
      <circle cx="300" cy="6" r="5" fill="#e31a1c"/><text x="310" y="10">alert (\(data.alerts.count))</text>
      </g>

      """
    return svg + "</svg>\n"
  }

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }

  static func medianStep(_ times: [Double]) -> Double {
    guard times.count > 1 else { return .infinity }
    let steps = zip(times.dropFirst(), times).map { $0 - $1 }.sorted()
    return max(steps[steps.count / 2], 1)
  }

  /// Splits points where consecutive times are further apart than `gap`.
  static func segments<T>(_ points: [T], gap: Double, time: KeyPath<T, Double>) -> [[T]] {
    var result: [[T]] = [[]]
    for p in points {
      if let last = result[result.count - 1].last, p[keyPath: time] - last[keyPath: time] > gap {
        result.append([])
      }
      result[result.count - 1].append(p)
    }
    return result
  }

  static func niceTicks(low: Double, high: Double, count: Int) -> [Double] {
    let raw = (high - low) / Double(count)
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
    var ticks: [Double] = []
    var t = (low / step).rounded(.up) * step
    while t <= high {
      ticks.append(abs(t) < step * 1e-9 ? 0 : t)
      t += step
    }
    return ticks
  }

  static func timeStep(span: Double) -> Double {
    let candidates: [Double] = [
      300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400,
      28 * 86_400,
    ]
    return candidates.first { span / $0 <= 10 } ?? 28 * 86_400
  }
}
