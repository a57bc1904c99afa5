package tripwire

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func checkPayload(t *testing.T, call string, params map[string]any) []byte {
	t.Helper()
	ev := map[string]any{"version": "0", "source": "aws.rds", "detail-type": "AWS API Call via CloudTrail",
		"account": "222222222222", "region": "eu-west-1",
		"detail": map[string]any{"eventSource": "rds.amazonaws.com", "eventName": call, "eventID": "e-1",
			"awsRegion": "eu-west-1", "recipientAccountId": "222222222222",
			"userIdentity": map[string]any{"sessionContext": map[string]any{"sessionIssuer": map[string]any{
				"arn": "arn:aws:iam::222222222222:role/forcessl-remediation"}}},
			"requestParameters": params}}
	b, err := json.Marshal(map[string]any{"source": CheckSource, "detail-type": CheckDetailType, "detail": ev})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Check alerts on any key outside Sent, listed or not (a key AWS adds
// later included), names keys and never values, and passes forcessl's own
// requests.
func TestCheck(t *testing.T) {
	own := map[string]any{"dBInstanceIdentifier": "orders", "dBParameterGroupName": "forcessl-x", "applyImmediately": false}
	for _, tc := range []struct {
		name      string
		call      string
		params    map[string]any
		appliesCA bool
		keys      []string
	}{
		{"forcessl's own attach", "ModifyDBInstance", own, false, nil},
		{"forcessl's own CA change", "ModifyDBInstance", with(own, "cACertificateIdentifier", "rds-ca-rsa2048-g1"), true, nil},
		{"a CA change without FORCESSL_CA", "ModifyDBInstance", with(own, "cACertificateIdentifier", "rds-ca-rsa2048-g1"), false,
			[]string{"cACertificateIdentifier"}},
		{"a listed key", "ModifyDBInstance", with(own, "masterUserPassword", "s3cret-value"), false, []string{"masterUserPassword"}},
		{"a key no list has yet", "ModifyDBInstance", with(own, "someFutureMember", "s3cret-value"), false, []string{"someFutureMember"}},
		{"forcessl's own cluster attach", "ModifyDBCluster", map[string]any{"dBClusterIdentifier": "payments",
			"dBClusterParameterGroupName": "forcessl-y", "applyImmediately": false}, false, nil},
		{"the instance group of every member", "ModifyDBCluster", map[string]any{"dBClusterIdentifier": "payments",
			"dBInstanceParameterGroupName": "weak", "dBParameterGroupName": "weak"}, false,
			[]string{"dBInstanceParameterGroupName", "dBParameterGroupName"}},
	} {
		f, isCheck, found, err := Check(checkPayload(t, tc.call, tc.params), tc.appliesCA)
		if err != nil || !isCheck || found != (len(tc.keys) > 0) || !slices.Equal(f.Keys, tc.keys) {
			t.Errorf("%s: check %v found %v keys %v err %v, want keys %v", tc.name, isCheck, found, f.Keys, err, tc.keys)
			continue
		}
		if f.Account != "222222222222" || f.Region != "eu-west-1" || f.Call != tc.call || f.EventID != "e-1" ||
			!strings.HasSuffix(f.Issuer, ":role/forcessl-remediation") || f.Resource == "" {
			t.Errorf("%s: finding %+v", tc.name, f)
		}
		if b, _ := json.Marshal(f); strings.Contains(string(b), "s3cret") || strings.Contains(string(b), "rds-ca-rsa2048") {
			t.Errorf("%s: the finding carries a value: %s", tc.name, b)
		}
	}
	// Anything else is the intake's; a check that cannot be read is said so.
	if _, isCheck, _, _ := Check([]byte(`{"source":"aws.rds","detail-type":"AWS API Call via CloudTrail","detail":{}}`), false); isCheck {
		t.Error("an RDS event read as a tripwire check")
	}
	if _, isCheck, _, err := Check(checkPayload(t, "DeleteDBInstance", own), false); !isCheck || !errors.Is(err, ErrMalformed) {
		t.Errorf("a call the tripwire does not watch: check %v, err %v", isCheck, err)
	}
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for a, b := range m {
		out[a] = b
	}
	return out
}
