package sandbox

import (
	"math/rand/v2"
	"time"

	"github.com/Shopify/toxiproxy/v2/toxics"
)

// LossToxicType is the toxiproxy toxic that models packet loss on a TCP
// stream.
//
// A userspace proxy cannot drop packets of a TCP stream without corrupting
// it; what loss does to TCP is retransmission: a lost segment arrives one
// retransmission timeout later (Linux's minimum RTO is 200 ms), doubled for
// every loss in a row. So each chunk is "lost" with probability Loss %, with
// netem's correlation (the next draw leans Correlation % towards the last
// one), and a lost chunk is delivered after RTO·2^(losses in a row - 1),
// bounded by MaxRTO.
const LossToxicType = "gameday_loss"

// Bounds of the loss toxic's retransmission model.
const (
	MinRTO = 200 * time.Millisecond
	MaxRTO = 3 * time.Second
)

// LossToxic is the toxic; attributes loss and correlation are percentages.
type LossToxic struct {
	Loss        float64 `json:"loss"`
	Correlation float64 `json:"correlation"`
}

// GetBufferSize implements toxics.BufferedToxic.
func (t *LossToxic) GetBufferSize() int { return 1024 }

// Pipe implements toxics.Toxic.
func (t *LossToxic) Pipe(stub *toxics.ToxicStub) {
	last := 0.0
	inRow := 0
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			// netem's correlated random: next = (1-ρ)·U + ρ·last.
			rho := t.Correlation / 100
			last = (1-rho)*rand.Float64() + rho*last
			if last*100 >= t.Loss {
				inRow = 0
				stub.Output <- c
				continue
			}
			inRow++
			wait := min(MinRTO<<min(inRow-1, 4), MaxRTO)
			select {
			case <-time.After(wait):
				stub.Output <- c
			case <-stub.Interrupt:
				stub.Output <- c
				return
			}
		}
	}
}

func init() {
	toxics.Register(LossToxicType, new(LossToxic))
}

// LatencyToxicType is toxiproxy's latency toxic with netem's correlated
// jitter: each chunk is held latency ± jitter, where the jitter's uniform
// draw leans Correlation % towards the previous one.
const LatencyToxicType = "gameday_latency"

// LatencyToxic is the toxic; latency and jitter are milliseconds,
// correlation a percentage.
type LatencyToxic struct {
	Latency     int64   `json:"latency"`
	Jitter      int64   `json:"jitter"`
	Correlation float64 `json:"correlation"`
}

// GetBufferSize implements toxics.BufferedToxic.
func (t *LatencyToxic) GetBufferSize() int { return 1024 }

// Pipe implements toxics.Toxic.
func (t *LatencyToxic) Pipe(stub *toxics.ToxicStub) {
	last := rand.Float64()
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			rho := t.Correlation / 100
			last = (1-rho)*rand.Float64() + rho*last
			d := time.Duration(t.Latency)*time.Millisecond + time.Duration((2*last-1)*float64(t.Jitter)*float64(time.Millisecond))
			wait := d - time.Since(c.Timestamp)
			select {
			case <-time.After(wait):
				c.Timestamp = c.Timestamp.Add(wait)
				stub.Output <- c
			case <-stub.Interrupt:
				stub.Output <- c
				return
			}
		}
	}
}

func init() {
	toxics.Register(LatencyToxicType, new(LatencyToxic))
}
