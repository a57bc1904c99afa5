package upcoming_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/forcessl/forcessl/pkg/gate"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/state"
	"github.com/forcessl/forcessl/pkg/upcoming"
)

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func intent(account, id, name string, recorded time.Time) state.Resource {
	return state.Resource{Key: state.Key{Account: account, Region: "eu-west-1", ResourceID: id}, Kind: state.KindInstance, Name: name,
		Intent: &state.Intent{RecordedAt: recorded, Group: "forcessl-orders-pg", Changes: []string{"rds.force_ssl=1"}}}
}

func sched(account, id string, at time.Time, action request.Trigger) string {
	return plan.ScheduleName(account, "eu-west-1", id, at, action)
}

func input() upcoming.Input {
	sun := time.Date(2026, 12, 13, 3, 0, 0, 0, time.UTC)
	return upcoming.Input{
		Intents: []state.Resource{
			intent("111111111111", "db-A", "orders", now.Add(-48*time.Hour)),
			intent("111111111111", "db-B", "billing, \"EU\"; main", now.Add(-72*time.Hour)), // older intent
			intent("222222222222", "db-C", "ledger", now.Add(-time.Hour)),
		},
		Moves: map[string]int{"db-B": 2},
		Schedules: []string{
			sched("111111111111", "db-A", sun, request.TriggerReboot),
			sched("111111111111", "db-A", sun.Add(-24*time.Hour), request.TriggerNotice),
			sched("111111111111", "db-B", sun, request.TriggerReboot),
			sched("222222222222", "db-C", sun.Add(time.Hour), request.TriggerReboot),
			sched("222222222222", "db-C", now.AddDate(0, 0, 20), request.TriggerReboot), // beyond --days
			sched("111111111111", "db-A", sun, request.TriggerRecheck),                  // a re-check is no reboot
			"forcessl-orphan-0123abcd-202612131500-reboot",
		},
		Controls: state.ControlSet{Pauses: []state.Pause{{Scope: state.Scope{Account: "222222222222"}, Reason: "migration", By: "arn:ops", Since: now}}},
		Config:   gate.Config{Budget: state.BudgetLimits{Account: 1}, Rings: gate.Rings{Accounts: []string{"111111111111"}}},
		Now:      now, Days: 14,
	}
}

func TestBuild(t *testing.T) {
	es := upcoming.Build(input())
	var got []string
	for _, e := range es {
		got = append(got, e.At.Format("02T15")+" "+e.Action+" "+e.Resource)
	}
	want := []string{"12T03 heads-up orders", "13T03 reboot billing, \"EU\"; main", "13T03 reboot orders", "13T04 reboot ledger",
		"13T15 reboot (not in the state table)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("entries:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	billing, orders, ledger := es[1], es[2], es[3]
	if billing.OverBudget || !orders.OverBudget {
		t.Errorf("the older intent (billing) must go first under account=1/h: billing over %v, orders over %v", billing.OverBudget, orders.OverBudget)
	}
	if !strings.Contains(ledger.Paused, "paused: migration") || ledger.Ring != "report" || orders.Ring != "enforce (listed)" {
		t.Errorf("ledger paused %q ring %q; orders ring %q", ledger.Paused, ledger.Ring, orders.Ring)
	}
	if billing.Sequence != 2 || orders.Sequence != 0 {
		t.Errorf("sequences %d %d", billing.Sequence, orders.Sequence)
	}
	// A moved reboot keeps its UID: the same intent a week later.
	in := input()
	in.Schedules = []string{sched("111111111111", "db-A", time.Date(2026, 12, 20, 3, 0, 0, 0, time.UTC), request.TriggerReboot)}
	in.Moves = map[string]int{"db-A": 1}
	moved := upcoming.Build(in)
	if len(moved) != 1 || moved[0].UID != orders.UID || moved[0].Sequence != orders.Sequence+1 {
		t.Errorf("moved: %+v, want UID %s with sequence %d", moved, orders.UID, orders.Sequence+1)
	}
}

// TestICSValidates: the feed parses with golang-ical and holds to RFC
// 5545's rules for what it emits: CRLF, lines of at most 75 octets,
// VERSION and PRODID, one UID, DTSTAMP and DTSTART (UTC) per VEVENT, and
// TEXT escaped (the resource name has a comma, quotes and a semicolon).
func TestICSValidates(t *testing.T) {
	es := upcoming.Build(input())
	var buf bytes.Buffer
	if err := upcoming.Write(&buf, "ics", es, now); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	if !strings.HasSuffix(raw, "\r\n") || strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\n") {
		t.Fatal("lines do not all end in CRLF")
	}
	for i, l := range strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("line %d is %d octets: %q", i, len(l), l)
		}
	}
	if !strings.Contains(raw, `billing\, "EU"\; main`) {
		t.Error("TEXT not escaped")
	}
	cal, err := ics.ParseCalendar(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, p := range cal.CalendarProperties {
		props[p.IANAToken] = p.Value
	}
	if props["VERSION"] != "2.0" || props["PRODID"] == "" {
		t.Errorf("calendar properties %v", props)
	}
	events := cal.Events()
	if len(events) != len(es) {
		t.Fatalf("%d events, want %d", len(events), len(es))
	}
	for i, ev := range events {
		start, err := ev.GetStartAt()
		if err != nil || !start.Equal(es[i].At) || ev.Id() != es[i].UID {
			t.Errorf("event %d: start %v (%v), uid %s; want %v, %s", i, start, err, ev.Id(), es[i].At, es[i].UID)
		}
		for _, p := range []ics.ComponentProperty{ics.ComponentPropertyDtstamp, ics.ComponentPropertyDtStart, ics.ComponentPropertySequence} {
			if ev.GetProperty(p) == nil {
				t.Errorf("event %d lacks %s", i, p)
			}
		}
		if v := ev.GetProperty(ics.ComponentPropertyDtStart).Value; !strings.HasSuffix(v, "Z") {
			t.Errorf("DTSTART %s is not UTC", v)
		}
	}
	if got := events[1].GetProperty(ics.ComponentPropertySummary).Value; !strings.Contains(got, `billing, "EU"; main`) { // unescaped by the parser
		t.Errorf("summary %q", got)
	}
	// A long description folds, and unfolds to what was written.
	desc := events[1].GetProperty(ics.ComponentPropertyDescription).Value
	if !strings.Contains(desc, `schedule: forcessl-db-B-`) || !strings.Contains(raw, "\r\n ") {
		t.Errorf("description %q (folded lines expected)", desc)
	}
}

func TestFormats(t *testing.T) {
	es := upcoming.Build(input())
	for _, f := range upcoming.Formats {
		var buf bytes.Buffer
		if err := upcoming.Write(&buf, f, es, now); err != nil || !strings.Contains(buf.String(), "orders") {
			t.Errorf("%s: %v\n%s", f, err, buf.String())
		}
	}
	var buf bytes.Buffer
	upcoming.Write(&buf, "csv", es, now)
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != len(es)+1 {
		t.Errorf("csv: %d rows, %v", len(rows), err)
	}
	if err := upcoming.Write(&buf, "xml", es, now); err == nil {
		t.Error("unknown format accepted")
	}
}

// An account under an enforced OU shows that ring, from the sweep's
// listing; without the listing it shows report.
func TestRingByOU(t *testing.T) {
	in := input()
	in.Config.Rings = gate.Rings{OUs: []string{"ou-ab12-cdef3456"}}
	in.Controls = state.ControlSet{}
	ledger := func(es []upcoming.Entry) string {
		for _, e := range es {
			if e.Resource == "ledger" {
				return e.Ring
			}
		}
		return ""
	}
	if got := ledger(upcoming.Build(in)); got != "report" {
		t.Errorf("without the listing: %q", got)
	}
	in.Org = state.OrgListing{Accounts: []string{"222222222222"}, Above: map[string][]string{"222222222222": {"r-ab12", "ou-ab12-cdef3456"}}}
	if got := ledger(upcoming.Build(in)); got != "enforce (ou-ab12-cdef3456)" {
		t.Errorf("placed under the OU: %q", got)
	}
}
