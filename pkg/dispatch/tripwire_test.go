package dispatch_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/tripwire"
)

func tripwireCheck(t *testing.T, params map[string]any) []byte {
	t.Helper()
	ev := map[string]any{"source": "aws.rds", "detail-type": "AWS API Call via CloudTrail", "account": "123456789012", "region": "us-east-1",
		"detail": map[string]any{"eventSource": "rds.amazonaws.com", "eventName": "ModifyDBInstance", "eventID": "ct-1",
			"userIdentity": map[string]any{"sessionContext": map[string]any{"sessionIssuer": map[string]any{
				"arn": "arn:aws:iam::123456789012:role/ForceSSL-FunctionRole"}}},
			"requestParameters": params}}
	b, err := json.Marshal(map[string]any{"source": tripwire.CheckSource, "detail-type": tripwire.CheckDetailType, "detail": ev})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A call by forcessl's role routed to the intake: forcessl's own request
// passes silently; one with any other key (listed in tripwire.Keys or not)
// is a high-severity alert that names the keys and never their values, and
// nothing is read or changed.
func TestTripwireCheck(t *testing.T) {
	e := fakeaws.NewEnv(t, now, map[string]string{config.EnvMode: "enforce"})
	e.AddSQLServer("orders")
	own := map[string]any{"dBInstanceIdentifier": "orders", "dBParameterGroupName": "forcessl-x", "applyImmediately": false}
	if _, err := e.Invoke(t, tripwireCheck(t, own)); err != nil {
		t.Fatal(err)
	}
	if got := e.Notes.Take(); len(got) != 0 {
		t.Errorf("forcessl's own request alerted: %v", got)
	}
	bad := map[string]any{"dBInstanceIdentifier": "orders", "publiclyAccessible": true, "brandNewMember": "s3cret-value"}
	if _, err := e.Invoke(t, tripwireCheck(t, bad)); err != nil {
		t.Fatal(err)
	}
	if len(e.Notes.Notices) != 1 {
		t.Fatalf("%d notices", len(e.Notes.Notices))
	}
	n := e.Notes.Notices[0]
	if n.Outcome != notify.OutcomeTripwire || n.Severity() != "high" || n.Instance != "orders" || n.Account != "123456789012" ||
		!strings.Contains(n.Reason, "brandNewMember, publiclyAccessible") || strings.Contains(n.Reason, "s3cret") {
		t.Errorf("alert %+v", n)
	}
	if len(e.AWS.Calls) != 0 {
		t.Errorf("a tripwire check called AWS: %v", e.AWS.Calls)
	}
}
