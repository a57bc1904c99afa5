package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/tripwire"
)

// matchPattern is EventBridge's matching for what the tripwire's patterns
// use (its TestEventPattern semantics, after aws/event-ruler's README):
// every field of the pattern must match; a field's array matches when any
// of its entries does (a string equal to a value of the event; {"exists":
// b} when the field is a leaf present in the event, or absent; {"wildcard":
// w} with "*" standing for any characters); an object matches the event's
// object at that field, or any element of an array of objects there; "$or"
// matches when any of its branches does. Event arrays of scalars are the
// field's values. Anything else fails the test, so the patterns cannot use
// what this does not model.
func matchPattern(t *testing.T, pattern, event map[string]any) bool {
	t.Helper()
	for k, want := range pattern {
		if k == "$or" {
			matched := false
			for _, b := range want.([]any) {
				matched = matched || matchPattern(t, b.(map[string]any), event)
			}
			if !matched {
				return false
			}
			continue
		}
		got, present := event[k]
		switch w := want.(type) {
		case map[string]any:
			ok := false
			switch g := got.(type) {
			case map[string]any:
				ok = matchPattern(t, w, g)
			case []any:
				for _, e := range g {
					if o, isObj := e.(map[string]any); isObj && matchPattern(t, w, o) {
						ok = true
					}
				}
			}
			if !ok {
				return false
			}
		case []any:
			var leaves []any // the field's values, when it is a leaf
			switch g := got.(type) {
			case map[string]any: // an intermediate node: no leaf values
			case []any:
				for _, e := range g {
					if _, isObj := e.(map[string]any); !isObj {
						leaves = append(leaves, e)
					}
				}
			default:
				if present {
					leaves = []any{g}
				}
			}
			ok := false
			for _, m := range w {
				switch m := m.(type) {
				case string:
					ok = ok || slices.Contains(leaves, any(m))
				case map[string]any:
					if e, isExists := m["exists"]; isExists && len(m) == 1 {
						ok = ok || (len(leaves) > 0) == e.(bool)
					} else if wc, isWildcard := m["wildcard"].(string); isWildcard && len(m) == 1 {
						re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(wc), `\*`, ".*") + "$")
						for _, l := range leaves {
							if s, isStr := l.(string); isStr && re.MatchString(s) {
								ok = true
							}
						}
					} else {
						t.Fatalf("matcher %v is not modelled", m)
					}
				default:
					t.Fatalf("matcher %v is not modelled", m)
				}
			}
			if !ok {
				return false
			}
		default:
			t.Fatalf("pattern field %s: %v is not modelled", k, want)
		}
	}
	return true
}

// cloudTrailEvent is testdata's ModifyDBInstance record (forcessl's own
// attach: identifier, group, applyImmediately) with call, issuer and
// requestParameters set.
func cloudTrailEvent(t *testing.T, call, issuer string, params map[string]any) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "cloudtrail-modify-db-instance.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	d := ev["detail"].(map[string]any)
	d["eventName"] = call
	d["userIdentity"].(map[string]any)["sessionContext"].(map[string]any)["sessionIssuer"].(map[string]any)["arn"] = issuer
	if params != nil {
		d["requestParameters"] = params
	}
	return ev
}

// sensitiveValue is a value as CloudTrail records the key: a structure
// for the structured keys, a list for the list ones, else a scalar.
func sensitiveValue(key string) any {
	switch key {
	case "processorFeatures":
		return []any{map[string]any{"name": "coreCount", "value": "4"}}
	case "serverlessV2ScalingConfiguration", "scalingConfiguration":
		return map[string]any{"maxCapacity": 64}
	case "cloudwatchLogsExportConfiguration":
		return map[string]any{"enableLogTypes": []any{"postgresql"}}
	case "additionalStorageVolumes":
		return []any{map[string]any{"volumeName": "rdsdbdata2", "allocatedStorage": 500}}
	case "tagSpecifications":
		return []any{map[string]any{"resourceType": "auto-backup", "tags": []any{map[string]any{"key": "k", "value": "v"}}}}
	case "vpcSecurityGroupIds", "dBSecurityGroups", "domainDnsIps":
		return []any{"sg-0123456789abcdef0"}
	case "masterUserPassword":
		return "HIDDEN_DUE_TO_SECURITY_REASONS"
	case "publiclyAccessible", "deletionProtection", "multiAZ", "multiTenant":
		return false
	}
	return "x"
}

// ownRequest is a request carrying exactly what forcessl sends for call
// (with appliesCA, its CA change too).
func ownRequest(call string, appliesCA bool) map[string]any {
	params := map[string]any{}
	for _, k := range tripwire.Sent(call, appliesCA) {
		params[k] = "forcessl"
	}
	return params
}

const (
	functionRoleArn = "arn:aws:iam::111111111111:role/ForceSSL-FunctionRole111A5701-AbCdEfGhIjKl"
	memberRoleArn   = "arn:aws:iam::222222222222:role/" + DefaultMemberRoleName
)

// concretePatterns are the patterns of every tripwire rule of f with the
// issuers deploy time would put in: the function's role, and in
// organization mode the member role filter.
func concretePatterns(f *fixture) []map[string]any {
	issuers := []any{functionRoleArn}
	if f.stack.Settings.Org() {
		issuers = append(issuers, map[string]any{"wildcard": "arn:aws:iam::*:role/" + f.stack.Settings.Function.MemberRoleName})
	}
	var out []map[string]any
	for i, call := range f.stack.Tripwire.Calls {
		out = append(out, tripwirePattern(call, f.stack.Tripwire.Keys[i], issuers))
	}
	return out
}

func anyMatches(t *testing.T, patterns []map[string]any, event map[string]any) bool {
	t.Helper()
	for _, p := range patterns {
		if matchPattern(t, p, event) {
			return true
		}
	}
	return false
}

// TestTripwireMatching: with EventBridge's matching, the rules catch every
// sensitive key in a call by forcessl's roles, and nothing forcessl sends
// itself nor any call by another principal.
func TestTripwireMatching(t *testing.T) {
	for name, f := range map[string]*fixture{"single account": reportStack(t), "organization": orgStack(t),
		"applying a CA": postureStack(t), "organization applying a CA": orgPostureStack(t)} {
		patterns := concretePatterns(f)
		appliesCA := f.stack.Tripwire.AppliesCA
		for _, call := range tripwire.APICalls {
			// GIVEN forcessl's own call WHEN matched THEN no alert
			if anyMatches(t, patterns, cloudTrailEvent(t, call, functionRoleArn, ownRequest(call, appliesCA))) {
				t.Errorf("%s: forcessl's own %s (%v) trips the wire", name, call, tripwire.Sent(call, appliesCA))
			}
			for _, key := range tripwire.Keys(call, appliesCA) {
				params := ownRequest(call, appliesCA)
				params[key] = sensitiveValue(key)
				// GIVEN a sensitive key in a call by the function's role THEN an alert
				if !anyMatches(t, patterns, cloudTrailEvent(t, call, functionRoleArn, params)) {
					t.Errorf("%s: %s with %s by the function's role is not caught", name, call, key)
				}
				// ... and by the member role only in organization mode
				if got := anyMatches(t, patterns, cloudTrailEvent(t, call, memberRoleArn, params)); got != f.stack.Settings.Org() {
					t.Errorf("%s: %s with %s by the member role caught = %v", name, call, key, got)
				}
				// ... and never by anyone else
				for _, other := range []string{"arn:aws:iam::111111111111:role/Admin",
					"arn:aws:iam::222222222222:role/" + DefaultMemberRoleName + "-copy",
					"arn:aws:iam::222222222222:role/team/" + DefaultMemberRoleName} {
					if anyMatches(t, patterns, cloudTrailEvent(t, call, other, params)) {
						t.Errorf("%s: %s with %s by %s is caught", name, call, key, other)
					}
				}
			}
		}
		// Without FORCESSL_CA, a CA change is not forcessl's: it alerts.
		// With it (enforcing), forcessl's own on an instance does not; it
		// never changes a cluster's CA, so ModifyDBCluster still alerts.
		for _, call := range tripwire.APICalls {
			params := ownRequest(call, false)
			params["cACertificateIdentifier"] = "rds-ca-rsa2048-g1"
			want := !(appliesCA && call == "ModifyDBInstance")
			if got := anyMatches(t, patterns, cloudTrailEvent(t, call, functionRoleArn, params)); got != want {
				t.Errorf("%s (applies a CA: %v): a CA change in %s by the function's role caught = %v", name, appliesCA, call, got)
			}
		}
	}
}

// TestTripwireCA: the CA keys are left out of the rules exactly when
// forcessl applies a CA itself (context ca, enforcing): not without a CA,
// and not in report mode, where forcessl never sends them.
func TestTripwireCA(t *testing.T) {
	report, err := parseContext(map[string]any{CtxCA: "rds-ca-rsa4096-g1"})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		s    Settings
		want bool
	}{
		"no CA": {enforceStack(t).stack.Settings, false}, "CA, enforcing": {postureStack(t).stack.Settings, true},
		"CA, report mode": {report, false}, "organization, CA, enforcing": {orgPostureStack(t).stack.Settings, true},
	} {
		if got := tc.s.AppliesCA(); got != tc.want {
			t.Errorf("%s: AppliesCA = %v, want %v", name, got, tc.want)
		}
	}
	// GIVEN ca set, enforcing WHEN synthesized THEN no ModifyDBInstance
	// rule watches the CA, on either bus; certificateRotationRestart (which
	// forcessl never sends) and ModifyDBCluster's CA stay watched
	for _, f := range []*fixture{postureStack(t), orgPostureStack(t)} {
		if !f.stack.Tripwire.AppliesCA {
			t.Fatal("the tripwire does not know forcessl applies a CA")
		}
		for _, r := range f.resources("AWS::Events::Rule") {
			raw, _ := json.Marshal(r["Properties"].(map[string]any)["EventPattern"])
			if strings.Contains(string(raw), `"ModifyDBInstance"`) && strings.Contains(string(raw), `"cACertificateIdentifier"`) {
				t.Errorf("a ModifyDBInstance rule watches cACertificateIdentifier: %s", raw)
			}
		}
	}
	// ... and without it, the CA keys are watched.
	raw, _ := json.Marshal(enforceStack(t).json["Resources"])
	if !strings.Contains(string(raw), `"cACertificateIdentifier"`) {
		t.Error("without ca no rule watches cACertificateIdentifier")
	}
}

// TestTripwireStructuredKeys: a structured key is matched by its members,
// since exists matches leaves only; the members are known for exactly the
// structured keys tripwire lists.
func TestTripwireStructuredKeys(t *testing.T) {
	var all []string
	for _, call := range tripwire.APICalls {
		all = append(all, tripwire.Keys(call, false)...)
	}
	for k := range structuredKeys {
		if !slices.Contains(all, k) {
			t.Errorf("structuredKeys lists %s, which tripwire does not", k)
		}
	}
	// GIVEN a pattern that would match the structure itself WHEN the key's
	// value is a structure THEN it does not match (why members are needed)
	naive := map[string]any{"scalingConfiguration": exists()}
	if matchPattern(t, naive, map[string]any{"scalingConfiguration": map[string]any{"minCapacity": 2}}) {
		t.Error("the matcher lets exists match an intermediate node; the test would prove nothing")
	}
}

// TestTripwireRules: the synthesized rules are the patterns above with the
// deploy-time references, each within EventBridge's pattern limit, every
// key on some rule in order, on the default bus and (organization mode) the
// central bus, alerting the topic with retries and the dead-letter queue.
func TestTripwireRules(t *testing.T) {
	for name, f := range map[string]*fixture{"report": reportStack(t), "org": orgStack(t), "posture": postureStack(t),
		"org-posture": orgPostureStack(t)} {
		st := f.stack
		fnArn := map[string]any{"Fn::GetAtt": []any{logicalID(st, st.Remediator.Role), "Arn"}}
		issuers := []any{fnArn}
		if st.Settings.Org() {
			issuers = append(issuers, map[string]any{"wildcard": map[string]any{"Fn::Join": []any{"", []any{
				"arn:", map[string]any{"Ref": "AWS::Partition"}, ":iam::*:role/" + DefaultMemberRoleName}}}})
		}
		buses := []any{nil}
		if st.Settings.Org() {
			buses = append(buses, map[string]any{"Ref": logicalID(st, st.Organization.Bus)})
		}
		res := f.json["Resources"].(map[string]any)
		var ruleArns []any
		i := 0
		for _, bus := range buses {
			for _, call := range tripwire.APICalls {
				var keys []string
				for ; i < len(st.Tripwire.Rules) && st.Tripwire.Calls[i] == call; i++ {
					id := *st.GetLogicalId(st.Tripwire.Rules[i])
					props := res[id].(map[string]any)["Properties"].(map[string]any)
					ruleArns = append(ruleArns, map[string]any{"Fn::GetAtt": []any{id, "Arn"}})
					if !jsonEq(props["EventBusName"], bus) || props["State"] != "ENABLED" {
						t.Errorf("%s: rule %s on bus %v, state %v", name, id, props["EventBusName"], props["State"])
					}
					if want := tripwirePattern(call, st.Tripwire.Keys[i], issuers); !jsonEq(props["EventPattern"], want) {
						t.Errorf("%s: rule %s pattern\n%v\nwant\n%v", name, id, props["EventPattern"], want)
					}
					// The pattern, with the longest ARN the role can have, fits.
					if n := patternLength(tripwirePattern(call, st.Tripwire.Keys[i], measureIssuers(st.Settings))); n > maxEventPatternChars {
						t.Errorf("%s: rule %s pattern has %d characters, over %d", name, id, n, maxEventPatternChars)
					}
					if !jsonEq(props["Targets"], []any{map[string]any{
						"Id":  "Notify",
						"Arn": map[string]any{"Ref": logicalID(st, st.Notifications.Topic)},
						"InputTransformer": map[string]any{
							"InputPathsMap": tripwireInputPaths(call), "InputTemplate": tripwireMessage,
						},
						"RetryPolicy":      map[string]any{"MaximumRetryAttempts": eventRetryAttempts, "MaximumEventAgeInSeconds": 7200},
						"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{logicalID(st, st.Remediator.DeadLetters), "Arn"}}},
					}}) {
						t.Errorf("%s: rule %s targets %v", name, id, props["Targets"])
					}
					keys = append(keys, st.Tripwire.Keys[i]...)
				}
				if want := tripwire.Keys(call, st.Settings.AppliesCA()); !slices.Equal(keys, want) {
					t.Errorf("%s: the rules on bus %v watch %v for %s, want %v", name, bus, keys, call, want)
				}
			}
		}
		if i != len(st.Tripwire.Rules) {
			t.Errorf("%s: %d rules, %d accounted for", name, len(st.Tripwire.Rules), i)
		}
		// Rules with a wildcard filter, per bus, within EventBridge's quota.
		wildcards := map[string]int{}
		for _, r := range f.resources("AWS::Events::Rule") {
			props := r["Properties"].(map[string]any)
			if b, _ := json.Marshal(props["EventPattern"]); strings.Contains(string(b), `"wildcard"`) {
				bus, _ := json.Marshal(props["EventBusName"])
				wildcards[string(bus)]++
			}
		}
		for bus, n := range wildcards {
			if n > maxWildcardRulesPerBus {
				t.Errorf("%s: %d rules with wildcards on bus %s", name, n, bus)
			}
		}
		if st.Settings.Org() != (len(wildcards) == 2) {
			t.Errorf("%s: wildcard rules on buses %v", name, wildcards)
		}
		// Only these rules may publish (topic policy) and dead-letter.
		for typ, statement := range map[string]map[string]any{
			"AWS::SNS::TopicPolicy": {"Sid": "TripwireRulesPublish", "Effect": "Allow", "Action": "sns:Publish",
				"Principal": map[string]any{"Service": "events.amazonaws.com"},
				"Resource":  map[string]any{"Ref": logicalID(st, st.Notifications.Topic)},
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleArns}}},
			"AWS::SQS::QueuePolicy": {"Sid": "TripwireRulesDeadLetters", "Effect": "Allow", "Action": "sqs:SendMessage",
				"Principal": map[string]any{"Service": "events.amazonaws.com"},
				"Resource":  map[string]any{"Fn::GetAtt": []any{logicalID(st, st.Remediator.DeadLetters), "Arn"}},
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleArns}}},
		} {
			found := false
			for _, p := range f.resources(typ) {
				for _, s := range asList(p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"]) {
					found = found || jsonEq(s, statement)
				}
			}
			if !found {
				t.Errorf("%s: no %s statement %v", name, typ, statement)
			}
		}
		f.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{
			"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{like(map[string]any{
				"Sid": "TripwireRulesPublish", "Principal": map[string]any{"Service": "events.amazonaws.com"},
				"Action": []any{"kms:Decrypt", "kms:GenerateDataKey"},
			})})},
		})
	}
}

// TestTripwireMessage: the alert, as the input transformer fills it from a
// record, says who called what on which instance, at high severity.
func TestTripwireMessage(t *testing.T) {
	params := ownRequest("ModifyDBInstance", false)
	params["dBInstanceIdentifier"] = "orders"
	params["publiclyAccessible"] = true
	ev := cloudTrailEvent(t, "ModifyDBInstance", functionRoleArn, params)
	var text string
	if err := json.Unmarshal([]byte(tripwireMessage), &text); err != nil {
		t.Fatalf("input template %s is not a JSON string: %v", tripwireMessage, err)
	}
	// EventBridge puts each path's value in, unescaped; the reserved
	// aws.events.rule-name is the rule's name.
	for name, path := range tripwireInputPaths("ModifyDBInstance") {
		var v any = ev
		for _, k := range strings.Split(strings.TrimPrefix(*path, "$."), ".") {
			v = v.(map[string]any)[k]
		}
		s, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		if !strings.Contains(text, "<"+name+">") {
			t.Errorf("input path %s is not used in the message", name)
		}
		text = strings.ReplaceAll(text, "<"+name+">", s)
	}
	text = strings.ReplaceAll(text, "<aws.events.rule-name>", "ForceSSL-TripwireModifyDBInstance1")
	want := "HIGH SEVERITY: forcessl role " + functionRoleArn + " called ModifyDBInstance on orders (account 111111111111, " +
		`region eu-west-1) with request parameters forcessl never sends: {"applyImmediately":"forcessl",` +
		`"dBInstanceIdentifier":"orders","dBParameterGroupName":"forcessl","publiclyAccessible":true}. ` +
		"This is not a change forcessl makes; investigate who uses the role. CloudTrail event " +
		"a1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d; rule ForceSSL-TripwireModifyDBInstance1."
	if text != want {
		t.Errorf("message\n%s\nwant\n%s", text, want)
	}
	if tripwireResourceKey["ModifyDBCluster"] == "" || !slices.Contains(tripwire.Sent("ModifyDBCluster", false), tripwireResourceKey["ModifyDBCluster"]) ||
		!slices.Contains(tripwire.Sent("ModifyDBInstance", false), tripwireResourceKey["ModifyDBInstance"]) {
		t.Errorf("resource keys %v are not the identifiers forcessl sends", tripwireResourceKey)
	}
}

// TestTripwireCheckRule: on each bus one rule routes every watched call by
// forcessl's roles, whatever its keys (forcessl's own included), to the
// function, wrapped so that the intake reads it as a tripwire check
// (tripwire.Check alerts on any key outside tripwire.Sent); calls by
// anyone else, and other calls, are not routed.
func TestTripwireCheckRule(t *testing.T) {
	for name, f := range map[string]*fixture{"single account": reportStack(t), "organization": orgStack(t)} {
		want := 1
		if f.stack.Settings.Org() {
			want = 2
		}
		if len(f.stack.Tripwire.Checks) != want {
			t.Fatalf("%s: %d check rules", name, len(f.stack.Tripwire.Checks))
		}
		issuers := []any{functionRoleArn}
		if f.stack.Settings.Org() {
			issuers = append(issuers, map[string]any{"wildcard": "arn:aws:iam::*:role/" + f.stack.Settings.Function.MemberRoleName})
		}
		pattern := tripwireCheckPattern(issuers)
		for _, rule := range f.stack.Tripwire.Checks {
			props := f.resources("AWS::Events::Rule")[*f.stack.GetLogicalId(rule.Node().DefaultChild().(awscdk.CfnElement))]["Properties"].(map[string]any)
			// The synthesized pattern is the builder's with the role's ARN.
			raw, _ := json.Marshal(props["EventPattern"])
			if !strings.Contains(string(raw), `"eventName":["ModifyDBInstance","ModifyDBCluster","CreateDBParameterGroup",`) ||
				!strings.Contains(string(raw), `"ModifyDBClusterParameterGroup"`) || strings.Contains(string(raw), "requestParameters") {
				t.Errorf("%s: check pattern %s", name, raw)
			}
			target := props["Targets"].([]any)[0].(map[string]any)
			if !jsonEq(target["InputTransformer"], map[string]any{"InputTemplate": checkInput}) ||
				!jsonEq(target["Arn"], map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.Function), "Arn"}}) ||
				target["DeadLetterConfig"] == nil {
				t.Errorf("%s: check target %v", name, target)
			}
		}
		for _, call := range tripwire.APICalls {
			own := cloudTrailEvent(t, call, functionRoleArn, ownRequest(call, false))
			if !matchPattern(t, pattern, own) {
				t.Errorf("%s: forcessl's own %s is not routed to the check", name, call)
			}
			if got := matchPattern(t, pattern, cloudTrailEvent(t, call, memberRoleArn, ownRequest(call, false))); got != f.stack.Settings.Org() {
				t.Errorf("%s: the member role's %s routed = %v", name, call, got)
			}
			if matchPattern(t, pattern, cloudTrailEvent(t, call, "arn:aws:iam::111111111111:role/Admin", nil)) {
				t.Errorf("%s: another principal's %s is routed", name, call)
			}
			// GIVEN the input EventBridge renders around the record WHEN the
			// intake reads it THEN it is a check, and a new key alerts
			params := ownRequest(call, false)
			params["someKeyNoListHas"] = "x"
			ev, _ := json.Marshal(cloudTrailEvent(t, call, functionRoleArn, params))
			input := strings.Replace(checkInput, "<aws.events.event.json>", string(ev), 1)
			if f, isCheck, found, err := tripwire.Check([]byte(input), false); !isCheck || !found || err != nil ||
				!slices.Equal(f.Keys, []string{"someKeyNoListHas"}) {
				t.Errorf("%s: %s: the rendered input reads as check %v found %v keys %v err %v", name, call, isCheck, found, f.Keys, err)
			}
		}
		// The parameter-group route: a forcessl role's group change is
		// routed too, and a parameter outside the engine's own alerts.
		group := cloudTrailEvent(t, "ModifyDBParameterGroup", functionRoleArn, map[string]any{"dBParameterGroupName": "forcessl-x",
			"parameters": []any{map[string]any{"parameterName": "ssl_min_protocol_version", "parameterValue": "TLSv1"},
				map[string]any{"parameterName": "log_connections", "parameterValue": "0"}}})
		if !matchPattern(t, pattern, group) {
			t.Errorf("%s: ModifyDBParameterGroup by the function's role is not routed", name)
		}
		ev, _ := json.Marshal(group)
		if f, _, found, _ := tripwire.Check([]byte(strings.Replace(checkInput, "<aws.events.event.json>", string(ev), 1)), false); !found ||
			!slices.Equal(f.Keys, []string{"parameters/log_connections"}) {
			t.Errorf("%s: group change read as %+v", name, f)
		}
		if matchPattern(t, pattern, cloudTrailEvent(t, "DeleteDBInstance", functionRoleArn, nil)) {
			t.Errorf("%s: DeleteDBInstance is routed to the check", name)
		}
	}
}
