package capacity

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

// Answer is what the search says about the production peak.
type Answer struct {
	// Line is the answer in one line.
	Line string `json:"line"`
	// Survives: the capacity with the zone lost covers the peak (nil: no
	// peak, or the zone loss was not measured).
	Survives *bool `json:"survives,omitempty"`
	// HeadroomPct is (capacity with the zone lost / peak − 1) in percent.
	HeadroomPct *float64 `json:"headroomPct,omitempty"`
	// PerReplica is the capacity with the zone lost per surviving replica.
	PerReplica float64 `json:"perReplica,omitempty"`
	// ReplicasPerZone and ReplicasNeeded would survive the loss of a zone
	// at the peak (0: not computed), scaling PerReplica; it is also the
	// HPA minimum.
	ReplicasPerZone int `json:"replicasPerZone,omitempty"`
	ReplicasNeeded  int `json:"replicasNeeded,omitempty"`
}

// rate writes a rate: "86 req/s".
func rate(r float64) string { return fmt.Sprintf("%g req/s", r) }

// capacityText says a phase's capacity: "86 req/s", "at least 1000 req/s",
// "at least 40 req/s (48 broke; out of steps)".
func (p *Phase) capacityText() string {
	switch p.Outcome {
	case AtLeastMax:
		return "at least " + rate(p.Capacity)
	case OutOfSteps, Stopped:
		if p.Broke > 0 {
			return fmt.Sprintf("at least %s (%s broke; %s)", rate(p.Capacity), rate(p.Broke), p.Outcome)
		}
		return fmt.Sprintf("at least %s (%s)", rate(p.Capacity), p.Outcome)
	}
	return rate(p.Capacity)
}

// answer is the answer of r: its phases, the replicas they saw and the
// peak.
func answer(r *Result) Answer {
	all, zone := r.AllZones, r.ZoneDown
	var a Answer
	switch {
	case all == nil || all.Capacity == 0 && all.Outcome == LowestBroke:
		a.Line = fmt.Sprintf("even the lowest step (%s) broke the SLOs with every zone: no capacity to speak of (see the steps)", rate(r.Search.From))
		return a
	case all.Capacity == 0:
		a.Line = "the search stopped before any step held: " + all.Outcome
		return a
	case zone == nil:
		a.Line = fmt.Sprintf("capacity %s with every zone; the loss of a zone was not measured (%s)", all.capacityText(), r.ZoneNote)
		return a
	}
	lost := r.Zone
	if zone.Capacity == 0 {
		no := false
		a.Survives = &no
		if zone.Outcome == LowestBroke {
			a.Line = fmt.Sprintf("survives losing %s: no, even the lowest step (%s) broke the SLOs with %s down (capacity %s with every zone)",
				lost, rate(r.Search.From), lost, all.capacityText())
		} else {
			a.Line = fmt.Sprintf("survives losing %s: unknown, the search stopped before a step with %s down held (%s)", lost, lost, zone.Outcome)
			a.Survives = nil
		}
		return a
	}
	remaining := r.Replicas - r.LostReplicas
	if remaining > 0 {
		a.PerReplica = math.Round(10*zone.Capacity/float64(remaining)) / 10
	}
	figures := fmt.Sprintf("capacity %s with %s down, %s with every zone", zone.capacityText(), lost, all.capacityText())
	if r.Peak == nil || r.Peak.Rate <= 0 {
		why := "no production peak to compare with: --peak, or --peak-prometheus-url"
		if r.Peak != nil {
			why = fmt.Sprintf("the production peak is %s (%s): nothing to compare with", r.Peak.text(), r.Peak.Source)
		}
		a.Line = figures + "; " + why
		return a
	}
	peak := r.Peak.Rate
	peakText := "peak " + r.Peak.text()
	survives := zone.Capacity >= peak
	if !survives && zone.Outcome != Found && (zone.Broke == 0 || zone.Broke > peak) {
		// Only a lower bound below the peak: the search ended before it
		// knew.
		a.Line = fmt.Sprintf("survives losing %s at today's peak: unknown, the search ended before it knew (%s; %s)", lost, figures, peakText)
		return a
	}
	a.Survives = &survives
	head := 100 * (zone.Capacity/peak - 1)
	a.HeadroomPct = &head
	if survives {
		a.Line = fmt.Sprintf("survives losing %s at today's peak: yes, %.0f %% headroom (%s; %s)", lost, head, figures, peakText)
		return a
	}
	a.Line = fmt.Sprintf("survives losing %s at today's peak: no, %.0f %% short (%s; %s)", lost, -head, figures, peakText)
	if zones := len(r.ReadyByZone); a.PerReplica > 0 && zones >= 2 {
		a.ReplicasPerZone = int(math.Ceil(peak / (float64(zones-1) * a.PerReplica)))
		a.ReplicasNeeded = zones * a.ReplicasPerZone
		a.Line += fmt.Sprintf(": %d replicas would be needed (%d per zone over %d zones; HPA minReplicas %d), at the %s a replica took with %s down",
			a.ReplicasNeeded, a.ReplicasPerZone, zones, a.ReplicasNeeded, rate(a.PerReplica), lost)
	}
	return a
}

func sortedKeys(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) }

// text says the peak: "62 req/s over 7d", "62 req/s (given)".
func (p *Peak) text() string {
	if p.Range == "" {
		return rate(math.Round(10*p.Rate)/10) + " (given)"
	}
	return rate(math.Round(10*p.Rate)/10) + " over " + p.Range
}
