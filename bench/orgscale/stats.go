package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// summary: calls in all, RDS calls, STS AssumeRole in all and the most for
// one account.
func (s *stats) summary() (total, rdsCalls, assumes, maxPer int) {
	for _, c := range s.calls {
		total++
		if strings.HasPrefix(c.Op, "rds.") {
			rdsCalls++
		}
	}
	for _, n := range s.assume {
		assumes += n
		maxPer = max(maxPer, n)
	}
	return total, rdsCalls, assumes, maxPer
}

// opStats are the calls of one operation.
type opStats struct {
	n   int
	sum time.Duration
}

func (o opStats) mean() string {
	if o.n == 0 {
		return "-"
	}
	return (o.sum / time.Duration(o.n)).Round(100 * time.Microsecond).String()
}

func (s *stats) byOp() map[string]opStats {
	m := map[string]opStats{}
	for _, c := range s.calls {
		o := m[c.Op]
		o.n++
		o.sum += c.End - c.Start
		m[c.Op] = o
	}
	return m
}

// errors counts the calls answered with an HTTP error, by operation: SDK
// retries show here.
func (s *stats) errors() map[string]int {
	m := map[string]int{}
	for _, c := range s.calls {
		if c.Status >= 400 {
			m[fmt.Sprintf("%s %d", c.Op, c.Status)]++
		}
	}
	return m
}

// diagnose says where forcessl's time went: before its first call and
// after its last answer (process start, configuration, report), how many
// calls were in flight, how busy moto was, how many rounds of calls each
// account-region needs one after another, and what that would take if
// calls were served in parallel, as AWS serves them. seq is a sequential
// run at 0 ms (the baseline's): its latencies are moto's service times.
func diagnose(o, seq outcome, baseline, delay time.Duration, parallel, items int, minRounds map[string]int, baselineCalls int) {
	s := o.stats
	if len(s.calls) == 0 {
		return
	}
	first, last := s.calls[0].Start, time.Duration(0)
	var busy time.Duration
	for _, c := range s.calls {
		first = min(first, c.Start)
		last = max(last, c.End)
		busy += c.End - c.Start
	}
	var svc time.Duration
	for _, c := range seq.stats.calls {
		svc += c.End - c.Start
	}
	svc /= time.Duration(max(len(seq.stats.calls), 1))

	fmt.Printf("\nwhere forcessl's %.2fs went at %s (median run):\n", o.wall.Seconds(), delay)
	fmt.Printf("  first call at +%s, last answer at +%s (process start and exit around them)\n",
		first.Round(time.Millisecond), last.Round(time.Millisecond))
	fmt.Printf("  calls in flight: %.1f on average, %d at most; a call took %s on average at the proxy (%s delay + moto)\n",
		float64(busy)/float64(last-first), s.peak, (busy / time.Duration(len(s.calls))).Round(time.Millisecond), delay)
	replayed := 0
	for _, c := range s.calls {
		if c.Replayed {
			replayed++
		}
	}
	if replayed > 0 {
		fmt.Printf("  %d of %d calls answered by the proxy's replay, without moto\n", replayed, len(s.calls))
	}
	fmt.Printf("  moto: %.2fs of CPU during the run (%.0f%% of its wall time; one Python process: about one core at most);\n"+
		"    served one at a time a call takes %s (sequential baseline at 0), so %d calls need %.2fs one after another\n",
		o.motoCPU.Seconds(), 100*o.motoCPU.Seconds()/o.wall.Seconds(), svc.Round(100*time.Microsecond), len(s.calls),
		(time.Duration(len(s.calls)) * svc).Seconds())

	// Calls per account-region: its RDS calls, its account's AssumeRole
	// (shared by the account's regions, so counted in each of them) and
	// the Scheduler reads that followed its RDS calls.
	type item struct {
		calls []call
		start time.Duration
	}
	byItem := map[string]*item{}
	var global []call
	for _, c := range s.calls {
		if strings.HasPrefix(c.Op, "rds.") {
			k := c.Account + "/" + c.Region
			if byItem[k] == nil {
				byItem[k] = &item{start: c.Start}
			}
			byItem[k].calls = append(byItem[k].calls, c)
			byItem[k].start = min(byItem[k].start, c.Start)
		}
	}
	for _, c := range s.calls {
		switch {
		case c.Role != "":
			for k, it := range byItem {
				if strings.HasPrefix(k, c.Role+"/") {
					it.calls = append(it.calls, c)
				}
			}
		case strings.HasPrefix(c.Op, "sts.GetCallerIdentity"):
			global = append(global, c)
		case !strings.HasPrefix(c.Op, "rds."):
			// Scheduler (central account): attach to the item whose call
			// ended last before it started, in the same region.
			var best *item
			var bestEnd time.Duration
			for k, it := range byItem {
				if !strings.HasSuffix(k, "/"+c.Region) {
					continue
				}
				for _, ic := range it.calls {
					if ic.End <= c.Start && ic.End > bestEnd && strings.HasPrefix(ic.Op, "rds.") {
						best, bestEnd = it, ic.End
					}
				}
			}
			if best != nil {
				best.calls = append(best.calls, c)
			}
		}
	}
	var depths, nCalls, mins []int
	var order []*item
	over := 0
	for k, it := range byItem {
		sort.Slice(it.calls, func(i, j int) bool { return it.calls[i].Start < it.calls[j].Start })
		d := itemDepth(it.calls)
		depths = append(depths, d)
		nCalls = append(nCalls, len(it.calls))
		order = append(order, it)
		if m, ok := minRounds[k]; ok {
			mins = append(mins, m)
			if d > m {
				over++
			}
		}
	}
	if len(order) == 0 {
		return
	}
	// Simulate the sweep with calls served in parallel: items start in the
	// order they did, --parallel at once, after the global calls; each
	// round costs delay + moto's uncontended service time.
	sort.Slice(order, func(i, j int) bool { return order[i].start < order[j].start })
	round := delay + svc
	slots := make([]time.Duration, max(parallel, 1))
	for i := range slots {
		slots[i] = time.Duration(len(global)) * round
	}
	var makespan time.Duration
	for _, it := range order {
		k := slices.Index(slots, slices.Min(slots))
		slots[k] += time.Duration(itemDepth(it.calls)) * round
		makespan = max(makespan, slots[k])
	}
	slices.Sort(depths)
	slices.Sort(nCalls)
	fmt.Printf("  account-regions: %d of %d made calls; calls each (AssumeRole and Scheduler included): min %d, median %d, max %d;\n"+
		"    rounds of calls one after another each: min %d, median %d, max %d\n",
		len(order), items, nCalls[0], nCalls[len(nCalls)/2], nCalls[len(nCalls)-1], depths[0], depths[len(depths)/2],
		depths[len(depths)-1])
	if len(mins) > 0 {
		slices.Sort(mins)
		fmt.Printf("  critical path per account-region: %d rounds (median; max %d) against a theoretical minimum of %d (median; min %d, max %d):\n"+
			"    a member's AssumeRole, its listing (instances and clusters at once), its groups' parameters (at once);\n"+
			"    an account-region without instances stops at the listing; schedules and CAs are sweep-wide reads.\n"+
			"    %d of %d account-regions took more rounds than their minimum\n",
			depths[len(depths)/2], depths[len(depths)-1], mins[len(mins)/2], mins[0], mins[len(mins)-1], over, len(order))
	}
	est := first + makespan
	fmt.Printf("  if calls were served in parallel, as AWS serves them (each round %s: delay + moto's service time, no queue),\n"+
		"    %d global call(s), then %d account-regions %d at a time: about %.2fs, %.1fx faster than the baseline's %.2fs\n",
		round.Round(100*time.Microsecond), len(global), len(order), parallel, est.Seconds(), baseline.Seconds()/est.Seconds(),
		baseline.Seconds())
	// The baseline is sequential: at best each of its calls costs one
	// round, whatever its CPU (boto3's, which a loaded machine inflates).
	blModel := time.Duration(baselineCalls) * round
	fmt.Printf("  latency floor, independent of the machine's load: the baseline's %d sequential calls x %s = %.2fs (its round trips\n"+
		"    alone, without boto3's CPU, which the measured figure includes); forcessl's rounds as above %.2fs: %.1fx\n", baselineCalls, round.Round(100*time.Microsecond), blModel.Seconds(), est.Seconds(),
		blModel.Seconds()/est.Seconds())
}

// itemDepth is the number of rounds of calls one after another: a call is
// one round after the latest call that ended before it started. calls are
// in start order.
func itemDepth(calls []call) int {
	depth := make([]int, len(calls))
	maxDepth := 0
	for i, c := range calls {
		depth[i] = 1
		for j := range i {
			if calls[j].End <= c.Start {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		maxDepth = max(maxDepth, depth[i])
	}
	return maxDepth
}

func printTimeline(s *stats) {
	fmt.Printf("\nforcessl's calls in order (start, end, account, region, operation, status):\n")
	cs := slices.Clone(s.calls)
	sort.Slice(cs, func(i, j int) bool { return cs[i].Start < cs[j].Start })
	for _, c := range cs {
		replayed := ""
		if c.Replayed {
			replayed = " replayed"
		}
		fmt.Printf("  +%7.3f +%7.3f %s %-14s %-34s %d%s\n", c.Start.Seconds(), c.End.Seconds(), c.Account, c.Region, c.Op, c.Status,
			replayed)
	}
}

// byAccount describes the calls made with each account's credentials
// (the central account's: STS, Scheduler and its own RDS) and the fewest
// and most made in a member account.
func (s *stats) byAccount(central string) string {
	m := map[string]int{}
	for _, c := range s.calls {
		m[c.Account]++
	}
	var members []int
	for a, n := range m {
		if a != central {
			members = append(members, n)
		}
	}
	if len(members) == 0 {
		return fmt.Sprintf("central %d", m[central])
	}
	slices.Sort(members)
	return fmt.Sprintf("central %d, each of %d members %d to %d", m[central], len(members), members[0], members[len(members)-1])
}
