package dispatch_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/plan"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// FORCESSL_REGIONS is the allow-list of regions forcessl covers: an event
// from elsewhere is refused, nothing read or changed there.
func TestRegionsAreAnAllowList(t *testing.T) {
	e := fakeaws.NewEnv(t, now, map[string]string{config.EnvMode: "enforce", config.EnvRegions: "eu-west-1"})
	e.AddSQLServer("orders")
	ir := e.Event(t, "RDS-EVENT-0005", "orders") // from us-east-1
	if ir.Outcome != plan.OutcomeRefused || ir.Reason != "region us-east-1 is not in FORCESSL_REGIONS" {
		t.Fatalf("%+v", ir)
	}
	if len(e.AWS.Calls) != 0 {
		t.Errorf("a refused region was touched: %v", e.AWS.Calls)
	}

	open := fakeaws.NewEnv(t, now, map[string]string{config.EnvMode: "enforce"})
	open.AddSQLServer("orders")
	if ir := open.Event(t, "RDS-EVENT-0005", "orders"); ir.Outcome != plan.OutcomeRemediated {
		t.Errorf("unset, every region is covered: %+v", ir)
	}
}

// The sweep queue carries only forcessl's own sweep work in scope: any
// other body is logged and dropped (acknowledged), never reconciled.
func TestSweepQueueAcceptsOnlySweepWorkInScope(t *testing.T) {
	e := fakeaws.NewEnv(t, now, map[string]string{config.EnvMode: "enforce", config.EnvAccounts: "123456789012",
		config.EnvRegions: "us-east-1"})
	e.AddSQLServer("orders")
	bodies := []string{
		string(fakeaws.InstanceEvent("123456789012", "us-east-1", "RDS-EVENT-0005", "orders")), // an RDS event
		`{"detail-type":"forcessl Sweep Item","source":"forcessl","detail":{"sweepId":"s","account":"999999999999","region":"us-east-1"}}`,
		`{"detail-type":"forcessl Sweep Item","source":"forcessl","detail":{"sweepId":"s","account":"123456789012","region":"eu-west-1"}}`,
		`{"detail-type":"forcessl Scheduled Action","source":"forcessl","detail":{"action":"reboot","account":"123456789012","region":"us-east-1","instance":"orders"}}`,
		`not json`,
	}
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: string(rune('a' + i)), Body: b, EventSource: "aws:sqs"})
	}
	payload, _ := json.Marshal(ev)
	out, err := e.Invoke(t, payload)
	if err != nil {
		t.Fatal(err)
	}
	if resp := out.(events.SQSEventResponse); len(resp.BatchItemFailures) != 0 {
		t.Errorf("dropped messages are acknowledged, not retried: %+v", resp)
	}
	if len(e.AWS.Calls) != 0 {
		t.Errorf("a message that is not sweep work in scope was acted on: %v", e.AWS.Calls)
	}

	in := `{"detail-type":"forcessl Sweep Item","source":"forcessl","detail":{"sweepId":"s","account":"123456789012","region":"us-east-1"}}`
	ev = events.SQSEvent{Records: []events.SQSMessage{{MessageId: "ok", Body: in, EventSource: "aws:sqs",
		Attributes: map[string]string{"ApproximateReceiveCount": "1"}}}}
	payload, _ = json.Marshal(ev)
	if _, err := e.Invoke(t, payload); err != nil {
		t.Fatal(err)
	}
	if e.AWS.Count("DescribeDBInstances") == 0 {
		t.Error("a sweep item in scope must be swept")
	}
}

// A sweep start is named after the scheduled event that triggered it, so
// Lambda's retry of the same event starts the same run; a start without
// an event ID and time (the constant input of earlier versions) gets one
// from the clock.
func TestSweepStartNamedAfterItsEvent(t *testing.T) {
	e := fakeaws.NewEnv(t, now, map[string]string{config.EnvMode: "report"})
	start := `{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","time":"2026-11-26T09:00:00Z",` +
		`"source":"forcessl","detail-type":"forcessl Sweep","detail":{}}`
	for range 2 {
		out, err := e.Invoke(t, []byte(start))
		if err != nil {
			t.Fatal(err)
		}
		if st := out.(dispatch.SweepStarted); st.SweepID != "2026-11-26T09:00:00Z_53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa" {
			t.Errorf("sweep ID %q, want the event's time and ID", st.SweepID)
		}
	}
	out, err := e.Invoke(t, []byte(`{"source":"forcessl","detail-type":"forcessl Sweep","detail":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if st := out.(dispatch.SweepStarted); st.SweepID != "2026-11-26T10:00:00Z" {
		t.Errorf("without an event: sweep ID %q, want the clock's time", st.SweepID)
	}
}
