package load

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// A Profile is a request rate over time: a sequence of segments whose
// rate changes linearly from From to To hits per second over Duration.
// Constant, Ramp and Steps build the three shapes of an experiment's load.
//
// Profile is a vegeta.Pacer. Unlike vegeta's own pacers, a rate of zero
// means "send nothing" (vegeta reads a zero ConstantPacer or a LinearPacer
// starting at zero as an unlimited rate), a ramp stops at its target rate
// instead of growing forever, and the attack stops when the profile ends.
// Hits are scheduled on the integral of the rate, so every second holds the
// area under the rate curve, whatever the shape.
type Profile struct {
	segs []segment
}

// A Step holds one rate for a duration.
type Step struct {
	Rate     float64       // hits per second, 0 pauses the load
	Duration time.Duration // > 0
}

type segment struct {
	from, to float64       // hits per second at the segment's start and end
	start    time.Duration // offset of the segment in the profile
	dur      time.Duration
	before   float64 // hits scheduled before the segment
}

var _ vegeta.Pacer = Profile{}

// ErrInvalidProfile is returned when a profile has a negative or non-finite
// rate, or a non-positive duration.
var ErrInvalidProfile = errors.New("invalid rate profile")

// Constant holds rate hits per second for d.
func Constant(rate float64, d time.Duration) (Profile, error) {
	return newProfile(segment{from: rate, to: rate, dur: d})
}

// Ramp changes the rate linearly from `from` to `to` hits per second over d.
// Either end may be zero.
func Ramp(from, to float64, d time.Duration) (Profile, error) {
	return newProfile(segment{from: from, to: to, dur: d})
}

// Steps holds each step's rate for its duration, one after the other.
func Steps(steps ...Step) (Profile, error) {
	segs := make([]segment, len(steps))
	for i, s := range steps {
		segs[i] = segment{from: s.Rate, to: s.Rate, dur: s.Duration}
	}
	return newProfile(segs...)
}

func newProfile(segs ...segment) (Profile, error) {
	if len(segs) == 0 {
		return Profile{}, fmt.Errorf("%w: no segment", ErrInvalidProfile)
	}
	var at time.Duration
	var hits float64
	for i := range segs {
		s := &segs[i]
		switch {
		case s.dur <= 0:
			return Profile{}, fmt.Errorf("%w: segment %d: duration %s is not positive", ErrInvalidProfile, i, s.dur)
		case !validRate(s.from) || !validRate(s.to):
			return Profile{}, fmt.Errorf("%w: segment %d: rate %g→%g must be finite and not negative", ErrInvalidProfile, i, s.from, s.to)
		}
		s.start, s.before = at, hits
		at += s.dur
		hits += s.area(s.dur)
	}
	return Profile{segs: segs}, nil
}

func validRate(r float64) bool { return r >= 0 && !math.IsInf(r, 0) && !math.IsNaN(r) }

// slope is the rate's change per second within the segment.
func (s segment) slope() float64 { return (s.to - s.from) / s.dur.Seconds() }

// area is the number of hits scheduled in the first d of the segment.
func (s segment) area(d time.Duration) float64 {
	x := d.Seconds()
	return s.from*x + s.slope()*x*x/2
}

// offset is the time into the segment at which m hits have been scheduled
// (0 ≤ m ≤ area(dur)); it solves slope·x²/2 + from·x = m in a form that
// stays stable when the slope is zero or negative.
func (s segment) offset(m float64) time.Duration {
	if m <= 0 {
		return 0
	}
	a, b := s.from, s.slope()
	disc := a*a + 2*b*m
	if disc < 0 {
		disc = 0
	}
	x := 2 * m / (a + math.Sqrt(disc))
	return time.Duration(math.Round(x * 1e9))
}

// truncate cuts the profile at d (0 < d < Duration).
func (p Profile) truncate(d time.Duration) Profile {
	var segs []segment
	for _, s := range p.segs {
		if s.start >= d {
			break
		}
		if end := s.start + s.dur; end > d {
			s.to = s.from + s.slope()*(d-s.start).Seconds()
			s.dur = d - s.start
		}
		segs = append(segs, s)
	}
	return Profile{segs: segs}
}

// MaxRate is the highest rate the profile requests.
func (p Profile) MaxRate() float64 {
	var m float64
	for _, s := range p.segs {
		m = max(m, s.from, s.to)
	}
	return m
}

// Duration is the length of the profile.
func (p Profile) Duration() time.Duration {
	if len(p.segs) == 0 {
		return 0
	}
	last := p.segs[len(p.segs)-1]
	return last.start + last.dur
}

// Rate is the requested rate in hits per second at elapsed; 0 outside the
// profile.
func (p Profile) Rate(elapsed time.Duration) float64 {
	for _, s := range p.segs {
		if elapsed >= s.start && elapsed < s.start+s.dur {
			return s.from + s.slope()*(elapsed-s.start).Seconds()
		}
	}
	return 0
}

// Hits is the number of hits the profile schedules in [0, elapsed): the
// integral of Rate. Hits(b)-Hits(a) is what a perfect attacker sends in
// [a, b).
func (p Profile) Hits(elapsed time.Duration) float64 {
	if len(p.segs) == 0 || elapsed <= 0 {
		return 0
	}
	for _, s := range p.segs {
		if elapsed < s.start+s.dur {
			return s.before + s.area(elapsed-s.start)
		}
	}
	last := p.segs[len(p.segs)-1]
	return last.before + last.area(last.dur)
}

// at is the time at which the hit following the first m is due (the
// moment m hits have been scheduled), and false when the profile ends
// before it. Hits are due at the start of their share of the rate, so
// [a, b) holds Hits(b)-Hits(a) of them, rounded.
func (p Profile) at(m float64) (time.Duration, bool) {
	for _, s := range p.segs {
		if total := s.area(s.dur); m < s.before+total {
			return s.start + s.offset(m-s.before), true
		}
	}
	return 0, false
}

// Pace implements vegeta.Pacer: the wait until the hit after the first hits is due, and
// stop once the profile has no hit left.
func (p Profile) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	due, ok := p.at(float64(hits))
	if !ok {
		return 0, true
	}
	if due <= elapsed {
		return 0, false
	}
	return due - elapsed, false
}

// String describes the profile, e.g. "ramp 10→100/s for 1m0s".
func (p Profile) String() string {
	parts := make([]string, len(p.segs))
	for i, s := range p.segs {
		if s.from == s.to {
			parts[i] = fmt.Sprintf("%g/s for %s", s.from, s.dur)
		} else {
			parts[i] = fmt.Sprintf("ramp %g→%g/s for %s", s.from, s.to, s.dur)
		}
	}
	return strings.Join(parts, ", then ")
}
