package tripwire

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// The envelope the CDK app's check rules give a call by forcessl's roles
// (an input transformer around the CloudTrail event: detail is the whole
// original event, <aws.events.event.json>).
const (
	CheckSource     = "forcessl"
	CheckDetailType = "forcessl Tripwire Check"
)

// Finding is a call by a forcessl role that carries request keys forcessl
// never sends. It names the keys, never their values.
type Finding struct {
	Call     string   `json:"call"`
	Issuer   string   `json:"issuer"` // the role whose session made the call
	Account  string   `json:"account"`
	Region   string   `json:"region"`
	Resource string   `json:"resource"` // the instance or cluster identifier
	EventID  string   `json:"eventId"`  // the CloudTrail event
	Keys     []string `json:"keys"`     // unexpected request keys, sorted
}

// ErrMalformed is a check payload that cannot be read.
var ErrMalformed = errors.New("malformed tripwire check")

// Check reads a payload. isCheck says whether it is a tripwire check at
// all (anything else is the intake's to parse); found, whether the call
// carried a key outside Sent. appliesCA is FORCESSL_CA set while enforcing.
func Check(payload []byte, appliesCA bool) (f Finding, isCheck, found bool, err error) {
	var env struct {
		Source     string          `json:"source"`
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(payload, &env) != nil || env.Source != CheckSource || env.DetailType != CheckDetailType {
		return Finding{}, false, false, nil
	}
	var ev struct {
		Account string `json:"account"`
		Region  string `json:"region"`
		Detail  struct {
			EventName    string `json:"eventName"`
			EventID      string `json:"eventID"`
			AWSRegion    string `json:"awsRegion"`
			Recipient    string `json:"recipientAccountId"`
			UserIdentity struct {
				SessionContext struct {
					SessionIssuer struct {
						ARN string `json:"arn"`
					} `json:"sessionIssuer"`
				} `json:"sessionContext"`
			} `json:"userIdentity"`
			RequestParameters map[string]any `json:"requestParameters"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(env.Detail, &ev); err != nil {
		return Finding{}, true, false, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	d := ev.Detail
	group := slices.Contains(GroupCalls, d.EventName)
	if !slices.Contains(APICalls, d.EventName) && !group {
		return Finding{}, true, false, fmt.Errorf("%w: call %q is not one the tripwire watches", ErrMalformed, d.EventName)
	}
	f = Finding{Call: d.EventName, Issuer: d.UserIdentity.SessionContext.SessionIssuer.ARN, EventID: d.EventID,
		Account: first(ev.Account, d.Recipient), Region: first(ev.Region, d.AWSRegion)}
	if group {
		f.Resource, f.Keys = groupResource(d.RequestParameters), groupUnexpected(d.EventName, d.RequestParameters)
		return f, true, len(f.Keys) > 0, nil
	}
	for _, k := range []string{"dBInstanceIdentifier", "dBClusterIdentifier"} {
		if s, ok := d.RequestParameters[k].(string); ok && f.Resource == "" {
			f.Resource = s
		}
	}
	f.Keys = Unexpected(d.EventName, keysOf(d.RequestParameters), appliesCA)
	return f, true, len(f.Keys) > 0, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
