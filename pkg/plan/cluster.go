package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/maintwindow"
	"github.com/forcessl/forcessl/pkg/request"
)

// MemberSettle is how long after restarting one member of an Aurora
// cluster forcessl looks again to restart the next: one at a time, each only
// once the previous one is available again.
const MemberSettle = 5 * time.Minute

// restart plans the restart that puts forcessl's pending change into
// effect, now, for a scheduled action: an instance reboots; a Multi-AZ DB
// cluster reboots as a whole (RebootDBCluster); an Aurora cluster reboots
// one member at a time, readers first and the writer last, never one twice.
// until bounds the follow-up looks (the window's end less RebootMargin;
// zero when there is no window). ok is false when nothing can restart now.
func (d decision) restart(why string, until time.Time) (Plan, bool, Need) {
	in := d.o.Resource
	switch {
	case in.Kind != KindCluster:
		if p, need, done := d.restartedSince(why, []string{in.ID}); done {
			return p, true, need
		}
		return d.plan(CompliantPendingReboot, OutcomeRebooted, why, append([]Step{Reboot{Target: in.Ref()}}, d.look()...)...), true, Need{}
	case in.MultiAZ:
		// RebootDBCluster restarts every member: it is forcessl's to make
		// while any member waiting has not restarted since the intent.
		var ids []string
		for _, m := range in.Members {
			if m.ApplyStatus == PendingReboot {
				ids = append(ids, m.ID)
			}
		}
		if p, need, done := d.restartedSince(why, ids); done {
			return p, true, need
		}
		return d.plan(CompliantPendingReboot, OutcomeRebooted, why, append([]Step{RebootCluster{Target: in.Ref()}}, d.look()...)...), true, Need{}
	}
	pending, held := d.pendingMembers()
	if len(pending) == 0 {
		if len(held) == 0 {
			if covered := d.restartedMembers(); len(covered) > 0 {
				return d.inEffectAfterRestarts(why, covered), true, Need{}
			}
			return Plan{}, false, Need{}
		}
		// Only members tagged exempt still wait: forcessl does not reboot
		// them (and the instance tag's IAM deny would refuse it).
		return d.plan(CompliantPendingReboot, OutcomeRefused, fmt.Sprintf("%s; member(s) %s still wait for a restart but are tagged %s=true: "+
			"forcessl does not reboot them; reboot them yourself to put TLS enforcement into effect on them",
			why, strings.Join(held, ", "), d.s.ExemptTag)), true, Need{}
	}
	for _, m := range in.Members {
		if ReadinessOf(m.Status) != Ready {
			// A member is still restarting (or otherwise busy): wait for it.
			next := ceilMinute(d.now.Add(MemberSettle))
			if !until.IsZero() && next.After(until) {
				return Plan{}, false, Need{}
			}
			return d.plan(CompliantPendingReboot, OutcomeWaiting, fmt.Sprintf("%s; member %s is %s, looking again before restarting the next",
				why, m.ID, m.Status), d.schedule(next, request.TriggerRecheck)...), true, Need{}
		}
	}
	m := pending[0]
	rest := len(pending) - 1
	if w := writerOf(in.Members); writerRestartsReaders(in.Engine, in.EngineVersion) && !exempt(Resource{Tags: w.Tags}, d.s.ExemptTag) {
		// On these versions the writer's reboot restarts every reader: the
		// writer alone, so no member restarts twice (Aurora User Guide,
		// aurora-reboot-cluster).
		m, rest = w, 0
	}
	if need := d.restartQuery([]string{m.ID}); !need.Zero() {
		// Asked only of the member about to restart; once it is known to
		// have restarted, pendingMembers leaves it out and the next one
		// is asked about.
		return Plan{}, false, need
	}
	p := d.plan(CompliantPendingReboot, OutcomeRebooted, fmt.Sprintf("%s; restarting %s (%s) of %d pending", why, m.ID, role(m), len(pending)),
		Reboot{Target: m.Ref()})
	if rest > 0 {
		next := ceilMinute(d.now.Add(MemberSettle))
		if until.IsZero() || !next.After(until) {
			p.Steps = append(p.Steps, d.schedule(next, request.TriggerRecheck)...)
		} else if w, err := maintwindow.Parse(in.MaintenanceWindow); err == nil {
			// No time left in this window for the next member: the rest
			// restart in the next one.
			steps := d.schedule(w.NextStart(d.now.Add(d.s.MinLead)), request.TriggerReboot)
			p.Steps = append(p.Steps, steps...)
			p.Outcome, p.RebootAt = OutcomePostponed, rebootTime(steps)
			p.Reason += fmt.Sprintf("; postponed: the %d member(s) left restart in the next window", rest)
		}
	} else {
		p.Steps = append(p.Steps, d.look()...)
	}
	return p, true, Need{}
}

// The check before a reboot. forcessl's own records (the intent's restart
// markers, a RDS-EVENT-0006 it handled) miss a restart whose event was
// never delivered (EventBridge delivers RDS events best effort) or whose
// record failed, and pending-reboot cannot tell forcessl's change from an
// owner's made after such a restart. So before forcessl reboots a target
// for its open intent, it asks RDS's own event log (DescribeEvents, which
// keeps "events ... for the past 14 days", API reference) whether the
// target restarted since the intent was recorded: if it did, forcessl's
// change is in effect there, and what waits is someone else's.

// EventLogKept is how far back RDS's event log reaches: DescribeEvents
// "returns events ... for the past 14 days" (API reference). An hour less
// is asked for, so no request reaches past what RDS keeps.
const EventLogKept = 14*24*time.Hour - time.Hour

// restartQuery is the Need for targets' restarts not observed yet: none
// without an intent of forcessl's own recorded time (no state table, or an
// intent seeded from an earlier version's schedule). An intent older than
// the log is asked about from as far back as the log reaches.
func (d decision) restartQuery(ids []string) Need {
	m := d.o.Memory
	if m == nil || m.Intent == nil || m.Intent.RecordedAt.IsZero() || len(ids) == 0 {
		return Need{}
	}
	since := later(m.Intent.RecordedAt, d.now.Add(-EventLogKept))
	return Need{Restarts: ids, RestartsSince: since}.Missing(d.o)
}

// restartedAt is the observed restart of id since the intent, if any.
func (d decision) restartedAt(id string) (time.Time, bool) {
	at, ok := d.o.Restarts[id]
	return at, ok && !at.IsZero()
}

// restartedSince: an instance or a Multi-AZ DB cluster whose waiting
// targets (ids) all restarted since the intent has forcessl's change in
// effect: the intent is closed, as the lost RDS-EVENT-0006 would have
// closed it. done is true when the returned plan or need stands instead
// of the reboot.
func (d decision) restartedSince(why string, ids []string) (Plan, Need, bool) {
	if need := d.restartQuery(ids); !need.Zero() {
		return Plan{}, need, true
	}
	var last time.Time
	for _, id := range ids {
		at, ok := d.restartedAt(id)
		if !ok {
			return Plan{}, Need{}, false
		}
		last = later(last, at)
	}
	if last.IsZero() {
		return Plan{}, Need{}, false
	}
	return d.inEffectAfterRestarts(why, ids), Need{}, true
}

// restartedMembers are the Aurora members waiting for a restart that RDS's
// event log shows restarted since the intent (or whose writer did, on
// versions where the writer's restart restarts every reader).
func (d decision) restartedMembers() []string {
	var ids []string
	for _, m := range d.o.Resource.Members {
		if m.ApplyStatus == PendingReboot && d.restartedOutside(m) {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// restartedOutside: the member restarted since the intent without
// forcessl, by RDS's event log.
func (d decision) restartedOutside(m Member) bool {
	if _, ok := d.restartedAt(m.ID); ok {
		return true
	}
	if len(d.o.Resource.Members) == 0 || !writerRestartsReaders(d.o.Resource.Engine, d.o.Resource.EngineVersion) {
		return false
	}
	_, ok := d.restartedAt(writerOf(d.o.Resource.Members).ID)
	return ok
}

// inEffectAfterRestarts closes the intent: every target forcessl's change
// waited on restarted since it was recorded.
func (d decision) inEffectAfterRestarts(why string, ids []string) Plan {
	var last time.Time
	for _, id := range ids {
		at, _ := d.restartedAt(id)
		last = later(last, at)
	}
	when := "restarted since forcessl's change"
	if !last.IsZero() {
		when = "restarted at " + last.UTC().Format(time.RFC3339)
	}
	p := d.plan(CompliantPendingReboot, OutcomeVerified, fmt.Sprintf("%s; RDS's event log shows %s %s (the restart's event never reached forcessl): "+
		"TLS enforcement took effect then, and what is still pending is not forcessl's change", why, strings.Join(ids, ", "), when))
	p.Intent.Close = when + " (RDS event log)"
	return p
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// look is the check forcessl schedules after its own restart: it closes
// the intent once the group is in sync, so no later change of the owner's
// is ever taken for forcessl's (RDS-EVENT-0006 is delivered best effort).
func (d decision) look() []Step {
	return d.schedule(ceilMinute(d.now.Add(RecheckDelay)), request.TriggerRecheck)
}

// pendingMembers are the members still waiting for a restart, in the
// order they restart: readers first (by name), the writer last; and, apart,
// those tagged exempt, which forcessl leaves to their owner.
func (d decision) pendingMembers() (order []Member, held []string) {
	var readers, writer []Member
	for _, m := range d.o.Resource.Members {
		switch {
		case m.ApplyStatus != PendingReboot:
		case d.restartedByForcessl(m):
			// What waits on it since is not forcessl's change (afterRestart).
		case d.restartedOutside(m):
			// Restarted since the intent by someone else: likewise.
		case exempt(Resource{Tags: m.Tags}, d.s.ExemptTag):
			held = append(held, m.ID)
		case m.Writer:
			writer = append(writer, m)
		default:
			readers = append(readers, m)
		}
	}
	slices.SortFunc(readers, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
	slices.Sort(held)
	return append(readers, writer...), held
}

// restartedByForcessl: forcessl's confirmed restart for the open intent
// covered the member: its own, or its writer's on versions where the
// writer's reboot restarts every reader.
func (d decision) restartedByForcessl(m Member) bool {
	in := d.o.Memory
	if in == nil || in.Intent == nil {
		return false
	}
	if r, ok := in.Intent.restarted(m.ID); ok && r.Confirmed {
		return true
	}
	if len(d.o.Resource.Members) == 0 || !writerRestartsReaders(d.o.Resource.Engine, d.o.Resource.EngineVersion) {
		return false
	}
	r, ok := in.Intent.restarted(writerOf(d.o.Resource.Members).ID)
	return ok && r.Confirmed
}

// heldMembers are the exempt members still waiting.
func (d decision) heldMembers() []string {
	_, held := d.pendingMembers()
	return held
}

func writerOf(ms []Member) Member {
	for _, m := range ms {
		if m.Writer {
			return m
		}
	}
	return ms[0]
}

func role(m Member) string {
	if m.Writer {
		return "writer"
	}
	return "reader"
}

// writerRestartsReaders: rebooting the writer also reboots every reader on
// Aurora MySQL clusters of version 2.09 and lower, and on Aurora PostgreSQL
// 14.6, 13.9, 12.13 and lower within each major, and every 11 (and older)
// (Aurora User Guide, "Rebooting an Aurora cluster without read
// availability"). An unknown version is taken to restart them: restarting
// only the writer then never restarts a reader twice.
func writerRestartsReaders(engine, version string) bool {
	switch engine {
	case "aurora-mysql":
		// 5.7.mysql_aurora.2.09.2, 8.0.mysql_aurora.3.05.2, 5.6.10a (v1)
		if strings.HasPrefix(version, "5.6") {
			return true
		}
		_, aurora, ok := strings.Cut(version, "mysql_aurora.")
		if !ok {
			return true
		}
		major, minor, ok := majorMinor(aurora)
		return !ok || major < 2 || major == 2 && minor <= 9
	case "aurora-postgresql":
		major, minor, ok := majorMinor(version)
		if !ok {
			return true
		}
		last := map[int]int{14: 6, 13: 9, 12: 13}
		if l, listed := last[major]; listed {
			return minor <= l
		}
		return major <= 11
	}
	return false
}

func majorMinor(v string) (int, int, bool) {
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

// memberNote says, for a cluster, which members carry the exempt tag: a
// member's own tag does not exempt its cluster (tag the cluster).
func memberNote(in Resource, tag string) string {
	var ids []string
	for _, m := range in.Members {
		if exempt(Resource{Tags: m.Tags}, tag) {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	return fmt.Sprintf("; member(s) %s are tagged %s=true, which does not exempt the cluster: tag the cluster %s to exempt it",
		strings.Join(ids, ", "), tag, in.ID)
}

// restartRefusal says why the restart that puts forcessl's change into
// effect is not forcessl's to make ("" when it is), or what Decide must
// see first: a restart that would take down what forcessl must not touch,
// outside anyone's window.
func (d decision) restartRefusal() (string, Need) {
	in := d.o.Resource
	if in.Kind != KindCluster {
		return "", Need{}
	}
	if in.GlobalCluster != "" {
		if d.o.Global == nil {
			return "", Need{Global: true}
		}
		if why := d.globalRefusal(); why != "" {
			return why, Need{}
		}
	}
	return d.exemptRefusal(), Need{}
}

// refuseRestart: forcessl leaves the restart to a person (restartRefusal).
// A reboot already scheduled ahead is kept until it is due, so the owner
// hears it at the restart (or at its heads-up), once; after that nothing
// is scheduled again and the same reason is not told again.
func (d decision) refuseRestart(why, refusal string) Plan {
	if at, ok := d.scheduledReboot(); ok && at.After(d.now) && d.o.Trigger != request.TriggerNotice {
		return d.scheduled(why, nil, OutcomeNone)
	}
	return d.plan(CompliantPendingReboot, OutcomeRefused, why+"; "+refusal)
}

// globalRefusal: the primary cluster of an Aurora global database. "For
// Aurora global databases in Aurora MySQL versions lower than 3.06 ... If
// you reboot the writer instance for the primary cluster in an Aurora
// global database, the reader instances in the primary cluster remain
// available. However, the DB instances in any secondary clusters reboot at
// the same time." For Aurora PostgreSQL the same page grants global
// databases only "a limited version" of read availability (12.16, 13.12,
// 14.9, 15.4 and higher) without saying what it leaves out (Aurora User
// Guide, "Rebooting an Aurora cluster with read availability",
// aurora-mysql-survivable-replicas). Either way a restart in this Region's
// window may restart other Regions' instances outside theirs: forcessl
// restarts no member (no partial restart) and says who must act.
func (d decision) globalRefusal() string {
	in, g := d.o.Resource, d.o.Global
	engine := strings.ToLower(in.Engine)
	switch {
	case !g.Read:
		return fmt.Sprintf("the cluster belongs to Aurora global database %s, which forcessl could not read (%s), so it cannot tell whether "+
			"restarting the cluster restarts other Regions' clusters: forcessl restarts none of its members; restart them yourself "+
			"at a time that suits every Region of the global database (or let forcessl read it: rds:DescribeGlobalClusters)", g.ID, g.Why)
	case !g.Primary:
		return ""
	case engine == "aurora-mysql" && (!auroraMySQLAtLeast306(in.EngineVersion) || g.EngineVersion != "" && !auroraMySQLAtLeast306(g.EngineVersion)):
		return fmt.Sprintf("the cluster is the primary of Aurora global database %s on Aurora MySQL %s, below 3.06, where rebooting the "+
			"primary's writer restarts the DB instances of every secondary cluster at the same time (%s), outside their windows: "+
			"forcessl restarts none of its members. Restart them yourself at a time that suits every secondary's Region, or upgrade "+
			"the global database to Aurora MySQL 3.06 or later (then forcessl restarts the primary in its window)",
			g.ID, in.EngineVersion, secondaryNames(g.Secondaries))
	case engine == "aurora-postgresql":
		return fmt.Sprintf("the cluster is the primary of Aurora global database %s on Aurora PostgreSQL, whose global databases have only "+
			"\"a limited version\" of read availability, which AWS does not define: rebooting the primary's writer may restart the "+
			"DB instances of the secondary clusters (%s) at the same time, outside their windows, so forcessl restarts none of its "+
			"members. Restart them yourself at a time that suits every secondary's Region", g.ID, secondaryNames(g.Secondaries))
	}
	return ""
}

// auroraMySQLAtLeast306 reads an Aurora MySQL version
// (8.0.mysql_aurora.3.06.0); one it cannot read counts as older.
func auroraMySQLAtLeast306(version string) bool {
	_, aurora, ok := strings.Cut(version, "mysql_aurora.")
	if !ok {
		return false
	}
	major, minor, ok := majorMinor(aurora)
	return ok && (major > 3 || major == 3 && minor >= 6)
}

// secondaryNames names secondary clusters by identifier and Region, from
// their ARNs (arn:aws:rds:eu-west-1:123456789012:cluster:orders-eu).
func secondaryNames(arns []string) string {
	if len(arns) == 0 {
		return "none listed"
	}
	names := make([]string, 0, len(arns))
	for _, a := range arns {
		parts := strings.Split(a, ":")
		if len(parts) == 7 && parts[5] == "cluster" {
			names = append(names, parts[6]+" in "+parts[3])
			continue
		}
		names = append(names, a)
	}
	slices.Sort(names)
	return "secondaries " + strings.Join(names, ", ")
}

// exemptRefusal: a restart that would take a member tagged exempt down
// with it. README promises forcessl never reboots such a member, and two
// restarts do so indirectly: RebootDBCluster restarts every member of a
// Multi-AZ DB cluster, and on versions where "Rebooting the writer DB
// instance also initiates a reboot for each reader DB instance in the
// cluster" (Aurora User Guide, aurora-reboot-cluster) the writer's reboot,
// which restart plans alone, restarts every reader.
func (d decision) exemptRefusal() string {
	in := d.o.Resource
	var held []string
	var w Member
	if len(in.Members) > 0 {
		w = writerOf(in.Members)
	}
	for _, m := range in.Members {
		if exempt(Resource{Tags: m.Tags}, d.s.ExemptTag) && (in.MultiAZ || !m.Writer) {
			held = append(held, m.ID)
		}
	}
	slices.Sort(held)
	switch {
	case len(held) == 0:
		return ""
	case in.MultiAZ:
		return fmt.Sprintf("a Multi-AZ DB cluster restarts only as a whole (RebootDBCluster), which would restart member(s) %s, tagged %s=true: "+
			"forcessl does not restart the cluster; reboot it yourself, or remove the tag", strings.Join(held, ", "), d.s.ExemptTag)
	case writerRestartsReaders(in.Engine, in.EngineVersion) && !exempt(Resource{Tags: w.Tags}, d.s.ExemptTag):
		return fmt.Sprintf("on %s %s rebooting the writer %s restarts every reader with it, member(s) %s too, tagged %s=true: forcessl "+
			"restarts none of the cluster's members; reboot them yourself, or remove the tag", in.Engine, in.EngineVersion, w.ID,
			strings.Join(held, ", "), d.s.ExemptTag)
	}
	return ""
}
