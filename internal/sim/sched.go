// Package sim is a deterministic simulator of forcessl's remediation
// protocol, in the FoundationDB style: one seed is one exact history. It
// drives the real engine (setup.Wire, the dispatcher, the fan-out and the
// reconciler, exactly as the Lambda wires them) in process, against the
// in-process fakes (internal/fakeaws for RDS and Scheduler, state.Memory for
// the table), on a simulated clock.
//
// Processes (Lambda environments handling an event, a scheduled action or
// a sweep; a CLI run; owners acting) interleave only at fake AWS calls and
// state-table calls. Every such call is a scheduling point: the process
// parks, and a PRNG seeded by the seed picks which parked call runs next,
// and whether it fails (before its effect, after it, throttled), is slow,
// or whether its process crashes there. Goroutines run one at a time: the
// simulator runs inside a testing/synctest bubble and waits (synctest.Wait)
// until every goroutine is parked before it picks, so the engine's own
// goroutines (the fan-out, the two listings of a region) are scheduled too,
// and the order in which they arrive never matters (parked calls are
// sorted before the PRNG picks).
//
// See docs/simulation.md.
package sim

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing/synctest"
	"time"
)

// Fault is what the simulator does to one call.
type Fault int

// The faults, per call.
const (
	FaultNone     Fault = iota
	FaultBefore         // an error, nothing done (a 500)
	FaultAfter          // done, then an error (a timeout or a 500 after the effect)
	FaultThrottle       // ThrottlingException, nothing done
	FaultCrash          // the process stops here, before the call
	FaultSlow           // the call takes long (adaptive retry, a slow API): the clock moves meanwhile
	nFaults
)

var faultNames = [...]string{"none", "error-before", "error-after", "throttle", "crash", "slow"}

func (f Fault) String() string { return faultNames[f] }

// proc is one simulated process: a Lambda invocation in its own
// environment, or a CLI run.
type proc struct {
	id   int
	name string
	skew time.Duration // its clock runs ahead of the true one by this
	// dead: crashed; every later call of it fails at once, with no effect
	// and no scheduling, so its goroutines run out without touching the
	// world.
	dead      bool
	published int // notices it published (a crash after one may duplicate it)
	// failed: when a reconcile of each instance (by name) last failed in
	// it, to be retried; a sweep reports such a failure in its digest
	// rather than ending with an error.
	failed map[string]time.Time
	// lastRead is when (true time) it last read each instance, by resource ID.
	lastRead map[string]time.Time
	// done is called (by the scheduler, in order) when the process ended.
	onDone func(p *proc, err error)
	// blocked: leases it found held by a crashed run (resource ID to that
	// run); got: leases it held.
	blocked map[string]*proc
	got     map[string]bool
	// logs: its engine log lines not yet in the trace (goroutines of
	// several processes may log at once between scheduling points; the
	// scheduler moves them into the trace in process order).
	logs    []string
	err     error
	crashed bool
}

type procKey struct{}

func withProc(ctx context.Context, p *proc) context.Context {
	return context.WithValue(ctx, procKey{}, p)
}

func procOf(ctx context.Context) *proc {
	p, _ := ctx.Value(procKey{}).(*proc)
	return p
}

// parked is a call (or a sleep) waiting for the scheduler.
type parked struct {
	p       *proc
	op, key string
	write   bool
	wake    time.Time // not before (a sleep, a slow call)
	sleep   bool      // a sleep: no fault, no effect
	slowed  bool      // already delayed once
	// giveUp: when the caller's context runs out (zero: never); a slow
	// call still in flight then returns an error, its effect made or not.
	giveUp time.Time
	gaveUp bool
	ch     chan Fault
}

// timer is something the world does at a time: deliver an event, fire a
// schedule, an owner's action, RDS finishing a reboot.
type timer struct {
	at   time.Time
	seq  int
	what string
	do   func()
}

// sched is the token-passing scheduler and the simulated clock.
type sched struct {
	rng    *rand.Rand
	now    time.Time
	mu     sync.Mutex // guards parked, finished (goroutines register concurrently)
	parked []*parked
	ended  []*proc
	procs  []*proc
	timers []*timer
	seq    int
	trace  []string
	// faults: the probability a call is faulted; 0 in the quiet phase.
	faults float64
	// coverage counts fault points hit: op + "/" + fault; ops the calls
	// made (true: a write).
	coverage map[string]int
	ops      map[string]bool
	// boost: fault points ("op/fault") aimed at: a call of the op takes
	// one of them most of the time (the CI run reaches rare ones this way).
	boost map[string][]Fault
	// live goroutines started for processes (not yet ended).
	live int
	// step is called after every scheduling step (invariants).
	step func()
}

func newSched(seed uint64, start time.Time) *sched {
	return &sched{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: start, coverage: map[string]int{}, ops: map[string]bool{}}
}

func (s *sched) logf(format string, args ...any) {
	s.trace = append(s.trace, fmt.Sprintf("%s %s", s.now.UTC().Format("01-02T15:04:05.000"), fmt.Sprintf(format, args...)))
}

// at schedules something the world does.
func (s *sched) at(t time.Time, what string, do func()) {
	s.seq++
	s.timers = append(s.timers, &timer{at: t, seq: s.seq, what: what, do: do})
}

// gate is a scheduling point: the calling process parks until the
// scheduler picks it, and learns its fault. Calls from outside any process
// (the simulator acting as RDS or an owner) pass at once.
func (s *sched) gate(ctx context.Context, op, key string, write bool) Fault {
	p := procOf(ctx)
	if p == nil {
		return FaultNone
	}
	s.mu.Lock()
	if p.dead {
		s.mu.Unlock()
		return FaultCrash
	}
	w := &parked{p: p, op: op, key: key, write: write, ch: make(chan Fault, 1)}
	if dl, ok := ctx.Deadline(); ok {
		// The engine sets a timeout (context.WithTimeout) on the bubble's
		// clock, which stands still while a call is parked: the time the
		// caller has left, on the simulated clock.
		w.giveUp = s.now.Add(time.Until(dl))
	}
	s.parked = append(s.parked, w)
	s.mu.Unlock()
	return <-w.ch
}

// sleep parks the process until the clock reaches now+d.
func (s *sched) sleep(p *proc, d time.Duration) {
	s.mu.Lock()
	if p.dead {
		s.mu.Unlock()
		return
	}
	w := &parked{p: p, op: "sleep", sleep: true, wake: s.now.Add(d), ch: make(chan Fault, 1)}
	s.parked = append(s.parked, w)
	s.mu.Unlock()
	<-w.ch
}

// spawn starts a process running fn on its own goroutine (in the bubble).
func (s *sched) spawn(p *proc, fn func(ctx context.Context) error) {
	p.id = len(s.procs) + 1
	p.lastRead = map[string]time.Time{}
	s.procs = append(s.procs, p)
	s.live++
	s.logf("p%d start %s", p.id, p.name)
	go func() {
		err := fn(withProc(context.Background(), p))
		s.mu.Lock()
		p.err = err
		s.ended = append(s.ended, p)
		s.mu.Unlock()
	}()
}

// run drives the world until nothing is left to do before until.
func (s *sched) run(until time.Time) {
	for {
		synctest.Wait()
		s.reap()
		if s.step != nil {
			s.step()
		}
		if w := s.pick(); w != nil {
			s.release(w)
			continue
		}
		next, ok := s.nextTime()
		if !ok || next.After(until) {
			return
		}
		if next.After(s.now) {
			s.now = next
		}
		for _, t := range s.timersBefore(s.now) {
			s.timers = slices.DeleteFunc(s.timers, func(x *timer) bool { return x == t })
			s.logf("world: %s", t.what)
			t.do()
		}
	}
}

// flush moves the processes' log lines into the trace (every process's,
// in process order, when p is nil): a process's lines come in when it is
// scheduled next or ends, so they sit in its own order of calls.
func (s *sched) flush(p *proc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.procs {
		if p == nil || q == p {
			s.trace = append(s.trace, q.logs...)
			q.logs = nil
		}
	}
}

// reap handles the processes that ended since the last step, in order.
func (s *sched) reap() {
	s.mu.Lock()
	ended := s.ended
	s.ended = nil
	s.mu.Unlock()
	slices.SortFunc(ended, func(a, b *proc) int { return a.id - b.id })
	for _, p := range ended {
		s.flush(p)
		s.live--
		status := "ok"
		switch {
		case p.crashed:
			status = "crashed"
		case p.err != nil:
			status = "error: " + firstLine(p.err.Error())
		}
		s.logf("p%d end (%s)", p.id, status)
		if p.onDone != nil {
			err := p.err
			if p.crashed {
				err = errCrashed
			}
			p.onDone(p, err)
		}
	}
}

func firstLine(s string) string {
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return strings.ReplaceAll(s, "\n", " ")
}

// runnable returns the parked calls that may run now, in a stable order.
func (s *sched) runnable() []*parked {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*parked
	for _, w := range s.parked {
		if !w.wake.After(s.now) {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b *parked) int {
		return cmp.Or(a.p.id-b.p.id, strings.Compare(a.op, b.op), strings.Compare(a.key, b.key), a.wake.Compare(b.wake))
	})
	return out
}

// pick chooses the next call to run, and its fault.
func (s *sched) pick() *parked {
	ws := s.runnable()
	if len(ws) == 0 {
		return nil
	}
	return ws[s.rng.IntN(len(ws))]
}

// release lets a parked call go, deciding its fault.
func (s *sched) release(w *parked) {
	s.mu.Lock()
	s.parked = slices.DeleteFunc(s.parked, func(x *parked) bool { return x == w })
	s.mu.Unlock()
	s.flush(w.p)
	if w.sleep {
		w.ch <- FaultNone
		return
	}
	s.ops[w.op] = w.write
	f := FaultNone
	if w.gaveUp || !w.giveUp.IsZero() && s.now.After(w.giveUp) {
		// The client gave up at its deadline (the SDK cancels the request
		// and starts no other attempt): the call may or may not have
		// taken effect, and never takes effect later.
		f = FaultBefore
		if w.write && s.chance(0.5) {
			f = FaultAfter
		}
		s.logf("p%d %s %s: the caller gave up at its deadline (%s)", w.p.id, w.op, w.key, map[Fault]string{FaultBefore: "not made", FaultAfter: "made"}[f])
		w.ch <- f
		return
	}
	if aim := s.boost[w.op]; s.faults > 0 && len(aim) > 0 && s.chance(0.8) {
		f = aim[s.rng.IntN(len(aim))]
		if f == FaultAfter && !w.write {
			f = FaultBefore
		}
		if f == FaultSlow && w.slowed {
			f = FaultNone // a call is slow once (5 s to 3 min), as without the aim
		}
	} else if s.faults > 0 && s.rng.Float64() < s.faults {
		f = Fault(1 + s.rng.IntN(int(nFaults)-1))
		if f == FaultAfter && !w.write {
			f = FaultBefore // a read has no effect to come after
		}
		if f == FaultSlow && w.slowed {
			f = FaultNone
		}
	}
	if f != FaultNone {
		s.coverage[w.op+"/"+f.String()]++
	}
	switch f {
	case FaultSlow:
		// Adaptive retry and slow APIs: the call lands later, possibly
		// after the caller's lease ran out.
		d := time.Duration(5+s.rng.IntN(175)) * time.Second
		w.wake, w.slowed = s.now.Add(d), true
		if !w.giveUp.IsZero() && w.wake.After(w.giveUp) {
			w.wake, w.gaveUp = w.giveUp, true
			s.logf("p%d %s %s: slow, would land in %s; its caller gives up at %s", w.p.id, w.op, w.key, d, w.giveUp.UTC().Format("15:04:05.000"))
		} else {
			s.logf("p%d %s %s: slow, lands in %s", w.p.id, w.op, w.key, d)
		}
		s.mu.Lock()
		s.parked = append(s.parked, w)
		s.mu.Unlock()
		return
	case FaultCrash:
		s.mu.Lock()
		w.p.dead, w.p.crashed = true, true
		s.mu.Unlock()
		s.logf("p%d CRASH before %s %s", w.p.id, w.op, w.key)
	default:
		s.now = s.now.Add(time.Duration(5+s.rng.IntN(200)) * time.Millisecond)
		if f == FaultNone {
			s.logf("p%d %s %s", w.p.id, w.op, w.key)
		} else {
			s.logf("p%d %s %s: %s", w.p.id, w.op, w.key, f)
		}
	}
	w.ch <- f
}

// nextTime is when the next timer is due or the next sleeper wakes.
func (s *sched) nextTime() (time.Time, bool) {
	var next time.Time
	ok := false
	consider := func(t time.Time) {
		if !ok || t.Before(next) {
			next, ok = t, true
		}
	}
	for _, t := range s.timers {
		consider(t.at)
	}
	s.mu.Lock()
	for _, w := range s.parked {
		consider(w.wake)
	}
	s.mu.Unlock()
	return next, ok
}

// timersBefore returns the timers due at or before t, in time order.
func (s *sched) timersBefore(t time.Time) []*timer {
	var out []*timer
	for _, x := range s.timers {
		if !x.at.After(t) {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b *timer) int { return cmp.Or(a.at.Compare(b.at), a.seq-b.seq) })
	return out
}

// stop ends every process still running (the end of a seed): each parked
// call fails as a crash would, so every goroutine runs out.
func (s *sched) stop() {
	for {
		synctest.Wait()
		s.flush(nil)
		s.reap()
		s.mu.Lock()
		ws := s.parked
		s.parked = nil
		for _, w := range ws {
			w.p.dead = true
		}
		s.mu.Unlock()
		if len(ws) == 0 && s.live == 0 {
			return
		}
		for _, w := range ws {
			w.ch <- FaultCrash
		}
	}
}

// chance draws true with probability p.
func (s *sched) chance(p float64) bool { return s.rng.Float64() < p }
