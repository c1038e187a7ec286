// Package capacity finds how much load PetClinic takes while its SLOs
// hold, with every zone and with one zone lost: a bounded search over the
// request rate, each step a short game day (the runner's, on the sandbox
// or on Kubernetes) judged by the SLOs on the client side, and an answer
// against the production peak: "survives losing a zone at today's peak:
// yes, 38 % headroom" — or no, with the replicas that would be needed.
//
// The search (Search) doubles the rate from the first step until a step
// breaks the SLOs, then bisects (geometrically) between the highest step
// that held and the lowest that broke until they are within the
// resolution: the capacity is then known to one step. It never takes more
// than its steps, and the run never more than its time budget; both are
// shown with what they cost.
package capacity

import (
	"math"
)

// Search is a bounded search for the highest rate at which a step holds.
// Its zero bounds are unknown. Use Next and Record in turn.
type Search struct {
	// From is the lowest rate tried, Max the highest; Start the first one
	// (default From).
	From, Max, Start float64
	// Resolution: the search ends when the lowest rate that broke is at
	// most (1 + Resolution) × the highest that held.
	Resolution float64
	// MaxSteps bounds the steps.
	MaxSteps int

	// Held is the highest rate that held, Broke the lowest that broke
	// (0: none yet). A caller may set Broke before the first step when it
	// knows a rate that cannot hold (a zone lost cannot hold more than
	// every zone did).
	Held, Broke float64
	steps       int
}

// Outcomes of a search, why it ended.
const (
	// Found: held and broke within the resolution.
	Found = "found"
	// AtLeastMax: the highest rate allowed held.
	AtLeastMax = "at least the highest rate allowed"
	// LowestBroke: the lowest rate allowed already broke the SLOs.
	LowestBroke = "the lowest rate already broke the SLOs"
	// OutOfSteps: the step budget ran out before the resolution.
	OutOfSteps = "out of steps"
)

// Next is the rate of the next step, or the outcome when the search is
// over.
func (s *Search) Next() (rate float64, done string) {
	switch {
	case s.Held > 0 && s.Broke > 0 && s.Broke <= s.Held*(1+s.Resolution)+1e-9:
		return 0, Found
	case s.Held >= s.Max:
		return 0, AtLeastMax
	case s.Held == 0 && s.Broke > 0 && s.Broke <= s.From:
		return 0, LowestBroke
	case s.steps >= s.MaxSteps:
		return 0, OutOfSteps
	}
	var r float64
	switch {
	case s.steps == 0 && s.Start > 0:
		r = s.Start
	case s.Held == 0 && s.Broke == 0:
		r = s.From
	case s.Broke == 0:
		r = s.Held * 2
	case s.Held == 0:
		r = s.Broke / 2
	default:
		r = math.Sqrt(s.Held * s.Broke)
	}
	r = math.Min(math.Max(roundRate(r), s.From), s.Max)
	if (s.Held > 0 && r <= s.Held) || (s.Broke > 0 && r >= s.Broke) {
		// Rounding left nothing between them: as close as rates go.
		return 0, Found
	}
	return r, ""
}

// Record records the outcome of the step at rate.
func (s *Search) Record(rate float64, held bool) {
	s.steps++
	switch {
	case held && rate > s.Held:
		s.Held = rate
	case !held && (s.Broke == 0 || rate < s.Broke):
		s.Broke = rate
	}
}

// Steps is how many steps were recorded.
func (s *Search) Steps() int { return s.steps }

// roundRate rounds a rate to what a person would ask for: whole requests
// per second from 10, tenths below.
func roundRate(r float64) float64 {
	if r >= 10 {
		return math.Round(r)
	}
	return math.Round(r*10) / 10
}
