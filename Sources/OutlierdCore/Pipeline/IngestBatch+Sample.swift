import Foundation

extension IngestBatch {
  /// Writes the working set into the open transaction and forgets it, and
  /// with it where each touched series' blocks, pool and history row were.
  mutating func spill() throws {
    try work.spill()
    for i in touched.indices { touched[i].forgetPlaces() }
  }

  /// The place in `touched` of the series named by these bytes, adding it
  /// (and creating it in the store when new); nil when the series cap
  /// refuses a new one.
  @inline(__always)
  mutating func position(of name: UnsafeRawBufferPointer, now: Double, report: inout FileReport) throws
    -> Int?
  {
    if let number = index.find(name) {
      let known = positions[number.index]
      if known >= 0 { return Int(known) }
      // Field by field: a SeriesState copy would copy its 1 KB track.
      touched.append(
        TouchedSeries(
          number: number, id: states[number.index].id, newest: states[number.index].newest,
          samples: states[number.index].samples,
          watched: states[number.index].track.incident != nil
            || states[number.index].track.varianceIncident != nil || states[number.index].track.stale))
    } else {
      guard settings.maxSeries == 0 || index.count < settings.maxSeries else { return nil }
      let id = try store.addSeries(name: String(decoding: name, as: UTF8.self), at: now)
      touched.append(
        TouchedSeries(number: index.insert(name), id: id, newest: -.infinity, samples: 0, watched: false))
      states.append(SeriesState(id: id, newest: -.infinity, samples: 0))
      positions.append(-1)
      report.newSeries += 1
    }
    positions[touched[touched.count - 1].number.index] = Int32(touched.count - 1)
    return touched.count - 1
  }

  mutating func apply(
    name: UnsafeRawBufferPointer, value: Double, timestamp: Double, line: Int,
    bytes: UnsafeRawBufferPointer,
    now: Double, report: inout FileReport
  ) throws {
    if work.mustSpill { try spill() }
    guard let position = try position(of: name, now: now, report: &report) else {
      report.reject(line, .tooManySeries(limit: settings.maxSeries), bytes)
      return
    }
    let number = touched[position].number
    let id = touched[position].id
    let newest = touched[position].newest
    guard timestamp > newest else {
      report.reject(line, .notNewer(timestamp: timestamp, newest: newest), bytes)
      return
    }
    if touched[position].watched {
      var track = states[number.index].track
      closeQuietIncident(&track, number: number, at: timestamp, report: &report)
      if track.stale {
        track.stale = false
        report.events.append(
          SeriesEvent(
            series: self.name(number), time: timestamp, kind: "resumed", detail: "samples arrive again"))
      }
      touched[position].watched = track.incident != nil || track.varianceIncident != nil
      states[number.index].track = track
    }

    let slotIndex = Int32(calendar.slot(at: timestamp))
    let rules = self.rules.shared ?? self.rules.rules(for: number, in: index)
    // A maintenance window: the model neither judges nor learns it.
    if self.rules.hasMaintenance && self.rules.isPaused(number, slot: slotIndex, in: index) {
      report.unjudged += 1
    } else {
      let blockNumber = slotIndex / Int32(SlotBlock.size)
      let block: Int
      if let last = touched[position].lastBlock, last.block == blockNumber {
        block = last.index
      } else {
        block = try work.blockIndex(series: id, number: number, block: blockNumber)
        work.blockChanged[block] = true
        touched[position].lastBlock = (blockNumber, block)
      }
      let slot = block * SlotBlock.size + Int(slotIndex) % SlotBlock.size
      let pooling = settings.poolSlots > 1
      let poolBlock = slotIndex / Int32(settings.poolSlots)
      var pool: Int? = nil
      if pooling {
        if let last = touched[position].lastPool, last.block == poolBlock {
          pool = last.index
        } else {
          pool = try work.poolIndex(
            series: id, number: number, pool: poolBlock, poolSlots: settings.poolSlots,
            slotCount: calendar.slotCount, trendAfter: settings.trendAfter)
          touched[position].lastPool = (poolBlock, pool!)
        }
      }
      let verdict = rules.judgeWithNoise(
        &work.slots[slot], x: timestamp, y: value, pool: pool.map { work.pools.total($0) },
        track: &states[number.index].track, shiftAfter: settings.shiftAfter,
        shiftConfirm: settings.shiftConfirm,
        dailyBin: DailyProfile.bin(
          ofSlot: Int(slotIndex), slotsPerDay: calendar.slotCount / 7,
          weekly: calendar.period == SlotCalendar.week))
      if let pool {
        work.pools.set(
          pool, member: Int(slotIndex) % settings.poolSlots,
          to: NoisePool.contribution(of: work.slots[slot], trendAfter: Double(settings.trendAfter)))
      }
      if verdict.relearn.count > 0 {
        try relearn(verdict.relearn, series: id, number: number, memory: rules.memory, report: &report)
      }
      if verdict.slotStartedOver {
        // What the slot learned of earlier alerts is gone: their feedback
        // can no longer be exact.
        let name = self.name(number)
        for k in report.alerts.indices
        where report.alerts[k].series == name && report.alerts[k].slot == Int(slotIndex)
          && report.alerts[k].kind == .point
        {
          report.alerts[k].learned = nil
          report.alerts[k].unclipped = nil
        }
        try store.forgetLearned(series: name, slot: Int(slotIndex), before: timestamp)
      }
      if let shift = verdict.shift {
        if case .confirmed(let ratio) = shift {
          try scaleSlots(series: id, number: number, by: ratio)
        }
        report.events.append(
          SeriesEvent(
            series: self.name(number), time: timestamp, shift: shift, after: settings.shiftAfter,
            confirm: settings.shiftConfirm))
      }
      switch verdict.assessment {
      case .scored(let score) where verdict.isAlert:
        var alert = Alert(
          series: self.name(number), timestamp: timestamp, value: value, slot: Int(slotIndex),
          threshold: rules.threshold, score: score, family: verdict.family, familyScore: verdict.familyScore,
          learned: verdict.learned, unclipped: verdict.unclipped, dailyScore: verdict.dailyScore)
        var track = states[number.index].track
        alert.incident = try recordIncident(&track, name: alert.series, alert: alert, report: &report)
        states[number.index].track = track
        touched[position].watched = true
        report.alerts.append(alert)
      case .scored: break
      case .cannotJudge: report.unjudged += 1
      }
      // A collective alert: the series has stopped varying.
      if let flat = verdict.flatScore, case .scored(let score) = verdict.assessment {
        var alert = Alert(
          series: self.name(number), timestamp: timestamp, value: value, slot: Int(slotIndex),
          threshold: rules.threshold, score: score, family: verdict.family, familyScore: flat, kind: .variance
        )
        var track = states[number.index].track
        alert.incident = try recordIncident(&track, name: alert.series, alert: alert, report: &report)
        states[number.index].track = track
        touched[position].watched = true
        report.alerts.append(alert)
      }
    }
    if settings.historyDays > 0 {
      // A series' samples arrive in time order, so an hour, once left,
      // is not seen again in this batch: no lookup needed.
      let hour = Int64((timestamp / 3600).rounded(.down))
      if touched[position].lastHour?.hour != hour {
        touched[position].lastHour = (hour, Int(work.history.row(hour: hour, series: id)))
      }
      work.history.append(
        row: Int32(touched[position].lastHour!.index), series: id, time: timestamp, value: value)
    }
    touched[position].newest = timestamp
    touched[position].samples += 1
    report.accepted += 1
    report.newestSample = max(report.newestSample ?? timestamp, timestamp)
  }

  /// Replaces, in each sample's slot, the clipped value it learned by the
  /// value the recent level now vouches for (`ClippedRun`), and updates
  /// the slot's share of its noise pool. Rare: once per level change the
  /// recent level confirms while a series' slots warm up.
  /// An alert among the samples records that its slot now holds it as it
  /// was, in the file's pending alerts or the database's.
  mutating func relearn(
    _ run: ClippedRun, series id: Int64, number: SeriesNumber, memory: Double, report: inout FileReport
  ) throws {
    let name = self.name(number)
    for sample in run.samples {
      if let k = report.alerts.firstIndex(where: {
        $0.series == name && $0.timestamp == sample.x && $0.kind == .point
      }) {
        report.alerts[k].learned = sample.value
      } else {
        try store.relearnedAlert(series: name, at: sample.x, learned: sample.value)
      }
      let slotIndex = calendar.slot(at: sample.x)
      let block = try work.blockIndex(series: id, number: number, block: Int32(slotIndex / SlotBlock.size))
      work.blockChanged[block] = true
      let place = block * SlotBlock.size + slotIndex % SlotBlock.size
      if !sample.learned.isNaN { work.slots[place].remove(x: sample.x, y: sample.learned) }
      work.slots[place].add(x: sample.x, y: sample.value, memory: memory)
      guard settings.poolSlots > 1 else { continue }
      let pool = try work.poolIndex(
        series: id, number: number, pool: Int32(slotIndex / settings.poolSlots),
        poolSlots: settings.poolSlots,
        slotCount: calendar.slotCount, trendAfter: settings.trendAfter)
      work.pools.set(
        pool, member: slotIndex % settings.poolSlots,
        to: NoisePool.contribution(of: work.slots[place], trendAfter: Double(settings.trendAfter)))
    }
  }

  /// Scales every slot of a series by `ratio`, and its noise pools with
  /// them: a confirmed level shift. Rare (once per lasting shift), so the
  /// whole series is loaded.
  mutating func scaleSlots(series id: Int64, number: SeriesNumber, by ratio: Double) throws {
    let slotCount = calendar.slotCount
    for block in 0..<(slotCount + SlotBlock.size - 1) / SlotBlock.size {
      let index = try work.blockIndex(series: id, number: number, block: Int32(block))
      work.blockChanged[index] = true
      for k in 0..<min(SlotBlock.size, slotCount - block * SlotBlock.size) {
        work.slots[index * SlotBlock.size + k].scaleLevel(by: ratio)
      }
    }
    guard settings.poolSlots > 1 else { return }
    for pool in 0..<(slotCount + settings.poolSlots - 1) / settings.poolSlots {
      let place = try work.poolIndex(
        series: id, number: number, pool: Int32(pool), poolSlots: settings.poolSlots, slotCount: slotCount,
        trendAfter: settings.trendAfter)
      for slot in NoisePool.slots(ofPool: pool, poolSlots: settings.poolSlots, slotCount: slotCount) {
        let index = try work.blockIndex(series: id, number: number, block: Int32(slot / SlotBlock.size))
        work.pools.set(
          place, member: slot % settings.poolSlots,
          to: NoisePool.contribution(
            of: work.slots[index * SlotBlock.size + slot % SlotBlock.size],
            trendAfter: Double(settings.trendAfter)))
      }
    }
  }

  /// Closes a series' open incidents (of point alerts, and of variance
  /// alerts) once quiet for longer than the incident gap.
  mutating func closeQuietIncident(
    _ track: inout SeriesTrack, number: SeriesNumber, at time: Double, report: inout FileReport
  ) {
    for place in [\SeriesTrack.incident, \SeriesTrack.varianceIncident] {
      guard let open = track[keyPath: place], time - open.end > settings.incidentGap else { continue }
      let name = self.name(number)
      track[keyPath: place] = nil
      incidents[open.id] = (name, open, true)
      report.incidentsClosed.append(IncidentNote(series: name, incident: open))
    }
  }

  /// Adds an alert to its series' incident, opening one when needed, and
  /// adds the alert's evidence to it (`IncidentSeverity`): the incident
  /// turns critical at the alert that makes it improbable enough. Returns
  /// the incident's id.
  mutating func recordIncident(
    _ track: inout SeriesTrack, name: String, alert: Alert, report: inout FileReport
  ) throws -> Int64 {
    // Each kind has its own incidents; a variance alert's sign and peak
    // are its run's score (negative: the variance vanished).
    let place = alert.kind == .point ? \SeriesTrack.incident : \SeriesTrack.varianceIncident
    let z = alert.kind == .point ? alert.score.normalEquivalent : alert.familyScore ?? 0
    let sign = alert.kind == .point ? (alert.score.residual < 0 ? -1 : 1) : (z < 0 ? -1 : 1)
    let evidence = IncidentSeverity.evidence(ofCalibratedZ: alert.severityScore)
    /// Marks the incident critical when this alert makes it so.
    func escalate(_ open: inout SeriesTrack.OpenIncident) {
      guard open.criticalAt == 0,
        IncidentSeverity.of(evidence: open.evidence, alerts: open.alerts, criticalP: settings.criticalP)
          == .critical
      else { return }
      open.criticalAt = alert.timestamp
      report.incidentsEscalated.append(IncidentNote(series: name, incident: open))
    }
    if var open = track[keyPath: place], open.sign == sign,
      alert.timestamp - open.end <= settings.incidentGap
    {
      open.end = alert.timestamp
      open.alerts += 1
      open.evidence += evidence
      if abs(z) > abs(open.peak) { open.peak = z }
      escalate(&open)
      track[keyPath: place] = open
      incidents[open.id] = (name, open, false)
      return open.id
    }
    if let open = track[keyPath: place] {
      incidents[open.id] = (name, open, true)
      report.incidentsClosed.append(IncidentNote(series: name, incident: open))
    }
    let id = try store.openIncident(series: name, sign: sign, at: alert.timestamp, peak: z, kind: alert.kind)
    var open = SeriesTrack.OpenIncident(
      id: id, sign: sign, start: alert.timestamp, end: alert.timestamp, peak: z, alerts: 1, evidence: evidence
    )
    report.incidentsOpened.append(IncidentNote(series: name, incident: open, kind: alert.kind))
    escalate(&open)
    track[keyPath: place] = open
    incidents[id] = (name, open, false)
    return id
  }
}
