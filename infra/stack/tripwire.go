package stack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/tripwire"
)

// maxEventPatternChars is EventBridge's limit on a rule's event pattern
// ("Event pattern: 2048 characters maximum", EventBridge User Guide,
// quotas). tripwirePatternBudget leaves room for the JSON CloudFormation
// writes around the values it resolves at deploy time.
const (
	maxEventPatternChars  = 2048
	tripwirePatternBudget = maxEventPatternChars - 128
	// maxWildcardRulesPerBus: "Rules containing wildcards: 30 rules per
	// event bus", not adjustable (EventBridge quotas).
	maxWildcardRulesPerBus = 30
)

// structuredKeys are the tripwire keys whose request value is a structure
// (or a list of structures) in the CloudTrail record, with their members
// (pkg/tripwire.Members, held to the SDK by its test). An exists filter
// matches leaves only ("Exists matching only works on leaf nodes",
// EventBridge content filtering; aws/event-ruler), so these are matched by
// their members (a list of structures through its elements).
var structuredKeys = tripwire.Members

// tripwireResourceKey is the request parameter naming the resource a call
// changes (one of tripwire.Sent: forcessl sends it itself).
var tripwireResourceKey = map[string]string{
	"ModifyDBInstance": "dBInstanceIdentifier",
	"ModifyDBCluster":  "dBClusterIdentifier",
}

// TripwireProps configure the detective control.
type TripwireProps struct {
	Settings      Settings
	Remediator    *Remediator    // whose role's calls are watched; its dead-letter queue takes what cannot be delivered
	Notifications *Notifications // where the alert goes
	// OrgBus (organization mode) also gets the rules: member accounts
	// forward their RDS API calls (those of the remediation role
	// included) to it.
	OrgBus awsevents.IEventBus
}

// Tripwire is a detective control for what IAM cannot prevent:
// rds:ModifyDBInstance on db:* lets forcessl's roles change any attribute
// of a non-exempt instance, not only its parameter group. Rules on the
// default bus (this account's own calls) and, in organization mode, on the
// central bus (the member accounts' forwarded calls) match the CloudTrail
// record of a tripwire.APICalls call made by forcessl's roles (the
// function's role; in organization mode also the member remediation role,
// of any account, by a wildcard on its fixed name) that carries any request
// key forcessl never sends (tripwire.Keys), and alert the topic at high
// severity. A pattern is at most 2048 characters, so the keys are split
// over as many rules as that takes. (EventBridge also allows at most
// maxWildcardRulesPerBus rules with a wildcard filter per bus: these are 6.)
type Tripwire struct {
	constructs.Construct
	Rules []awsevents.CfnRule // the default bus's, then (organization mode) the central bus's
	// Calls and Keys: the call and the request keys each rule watches.
	Calls []string
	Keys  [][]string
	// Checks route every tripwire.APICalls call by forcessl's roles, whatever
	// its keys, to the function (one per bus, like Rules), wrapped as a
	// tripwire.CheckDetailType event whose detail is the whole record: the
	// intake alerts on any request key outside tripwire.Sent, which no
	// pattern can express. The key-list Rules stay as a second layer that
	// does not depend on the function.
	Checks []awsevents.Rule
	// AppliesCA: forcessl applies CAs itself (Settings.AppliesCA), so the
	// CA keys are not watched (pkg/tripwire.Keys).
	AppliesCA bool
}

// NewTripwire builds the rules and lets them publish to the topic.
func NewTripwire(scope constructs.Construct, id string, props TripwireProps) *Tripwire {
	s, rem := props.Settings, props.Remediator
	stack := awscdk.Stack_Of(scope)
	t := &Tripwire{Construct: constructs.NewConstruct(scope, &id)}
	// With a CA to apply (context ca, FORCESSL_CA, in enforce mode) forcessl
	// sends CACertificateIdentifier itself (pkg/tripwire.Sent): its own CA
	// change must not trip the wire. Without one, or in report mode, it
	// never sends it, so a CA change by its roles does.
	appliesCA := s.AppliesCA()
	t.AppliesCA = appliesCA

	issuers := []any{*rem.Role.RoleArn()}
	if s.Org() {
		issuers = append(issuers, map[string]any{"wildcard": *awscdk.Fn_Join(jsii.String(""),
			jsii.Strings("arn:", *stack.Partition(), ":iam::*:role/"+s.Function.MemberRoleName))})
	}
	buses := []struct {
		prefix string
		name   *string
	}{{"", nil}}
	if props.OrgBus != nil {
		buses = append(buses, struct {
			prefix string
			name   *string
		}{"Org", props.OrgBus.EventBusName()})
	}
	var ruleArns []*string
	for _, bus := range buses {
		for _, call := range tripwire.APICalls {
			chunks := tripwireChunks(call, tripwire.Keys(call, appliesCA), measureIssuers(s), tripwirePatternBudget)
			for i, keys := range chunks {
				desc := fmt.Sprintf("forcessl tripwire: %s by a forcessl role with a request key forcessl never sends (%d/%d)",
					call, i+1, len(chunks))
				if bus.name != nil {
					desc += ", forwarded from member accounts"
				}
				rule := awsevents.NewCfnRule(t.Construct, jsii.String(fmt.Sprintf("%s%s%d", bus.prefix, call, i+1)), &awsevents.CfnRuleProps{
					Description:  jsii.String(desc),
					EventBusName: bus.name,
					EventPattern: tripwirePattern(call, keys, issuers),
					State:        jsii.String("ENABLED"),
					Targets: &[]*awsevents.CfnRule_TargetProperty{{
						Id:  jsii.String("Notify"),
						Arn: props.Notifications.Topic.TopicArn(),
						InputTransformer: &awsevents.CfnRule_InputTransformerProperty{
							InputPathsMap: tripwireInputPaths(call),
							InputTemplate: jsii.String(tripwireMessage),
						},
						// As every rule of the stack: 8 retries over up to
						// 2 h, then the (alarmed) dead-letter queue.
						RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
							MaximumRetryAttempts:     jsii.Number(eventRetryAttempts),
							MaximumEventAgeInSeconds: jsii.Number(2 * 3600),
						},
						DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: rem.DeadLetters.QueueArn()},
					}},
				})
				t.Rules = append(t.Rules, rule)
				t.Calls = append(t.Calls, call)
				t.Keys = append(t.Keys, keys)
				ruleArns = append(ruleArns, rule.AttrArn())
			}
		}
	}
	for _, bus := range buses {
		t.Checks = append(t.Checks, newTripwireCheck(t.Construct, bus.prefix+"Check", bus.name, props.OrgBus, issuers, rem))
	}
	props.Notifications.GrantRulesPublish("TripwireRulesPublish", ruleArns)
	rem.DeadLetters.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("TripwireRulesDeadLetters"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{rem.DeadLetters.QueueArn()},
		Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleArns}},
	}))
	return t
}

// exists matches a request key that is present, whatever its value.
func exists() []any { return []any{map[string]any{"exists": true}} }

// tripwirePattern is the event pattern of one rule: a CloudTrail record of
// call (source aws.rds, as the engine's API-call filter), made by a session
// of one of issuers (userIdentity.sessionContext.sessionIssuer.arn: exact
// ARNs or {"wildcard": …} filters), whose requestParameters hold any of
// keys ($or of one exists filter per key, or per member of a structured
// key).
func tripwirePattern(call string, keys []string, issuers []any) map[string]any {
	var branches []any
	for _, k := range keys {
		if members, ok := structuredKeys[k]; ok {
			for _, m := range members {
				branches = append(branches, map[string]any{k: map[string]any{m: exists()}})
			}
			continue
		}
		branches = append(branches, map[string]any{k: exists()})
	}
	params := map[string]any{"$or": branches}
	if len(branches) == 1 { // $or wants two branches at least
		params = branches[0].(map[string]any)
	}
	return map[string]any{
		"source":      []any{rdsevent.SourceRDS},
		"detail-type": []any{rdsevent.DetailAPICall},
		"detail": map[string]any{
			"eventSource":       []any{rdsevent.CloudTrailSource},
			"eventName":         []any{call},
			"userIdentity":      map[string]any{"sessionContext": map[string]any{"sessionIssuer": map[string]any{"arn": issuers}}},
			"requestParameters": params,
		},
	}
}

// tripwireChunks splits keys, in order, into as few groups as keep each
// rule's pattern, measured with issuers, within budget characters.
func tripwireChunks(call string, keys []string, issuers []any, budget int) [][]string {
	return splitWithin(keys, func(k []string) int { return patternLength(tripwirePattern(call, k, issuers)) }, budget)
}

// patternLength is the length of a pattern as compact JSON.
func patternLength(pattern map[string]any) int {
	b, err := json.Marshal(pattern)
	if err != nil {
		panic(err)
	}
	return len(b)
}

// longestRoleArn is as long as a role ARN gets: the longest partition name,
// a 12-digit account and a 64-character role name. The function role's
// name is CloudFormation's, known only at deploy time.
var longestRoleArn = "arn:aws-us-gov:iam::123456789012:role/" + strings.Repeat("x", 64)

// measureIssuers are the issuers a pattern is measured with: the longest
// function role ARN, and in organization mode the member role filter with
// the longest partition name.
func measureIssuers(s Settings) []any {
	out := []any{longestRoleArn}
	if s.Org() {
		out = append(out, map[string]any{"wildcard": "arn:aws-us-gov:iam::*:role/" + s.Function.MemberRoleName})
	}
	return out
}

// tripwireMessage is the alert: a text (a JSON string), with the event's
// values put in by EventBridge's input transformer.
var tripwireMessage = func() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep <placeholders> as they are
	if err := enc.Encode("HIGH SEVERITY: forcessl role <issuer> called <event> on <resource> (account <account>, " +
		"region <region>) with request parameters forcessl never sends: <parameters>. This is not a change forcessl " +
		"makes; investigate who uses the role. CloudTrail event <eventId>; rule <aws.events.rule-name>."); err != nil {
		panic(err)
	}
	return strings.TrimSpace(b.String())
}()

// tripwireInputPaths are the placeholders of tripwireMessage.
func tripwireInputPaths(call string) map[string]*string {
	return map[string]*string{
		"issuer":     jsii.String("$.detail.userIdentity.sessionContext.sessionIssuer.arn"),
		"event":      jsii.String("$.detail.eventName"),
		"resource":   jsii.String("$.detail.requestParameters." + tripwireResourceKey[call]),
		"account":    jsii.String("$.account"),
		"region":     jsii.String("$.region"),
		"parameters": jsii.String("$.detail.requestParameters"),
		"eventId":    jsii.String("$.detail.eventID"),
	}
}

// checkInput is the check rule's input: the whole CloudTrail event as the
// detail of a tripwire.CheckDetailType event. aws.events.event.json is
// EventBridge's predefined input-transformer variable for "the full
// original event payload as JSON (with the detail field)", usable only as
// the value of a JSON field (EventBridge User Guide, "Amazon EventBridge
// input transformation", predefined variables).
var checkInput = `{"version":"0","source":"` + tripwire.CheckSource + `","detail-type":"` + tripwire.CheckDetailType +
	`","detail":<aws.events.event.json>}`

// tripwireCheckPattern matches every tripwire.APICalls and
// tripwire.GroupCalls call made by a session of issuers, whatever its
// request keys (the intake alerts on parameters outside the engine's own).
func tripwireCheckPattern(issuers []any) map[string]any {
	return map[string]any{
		"source":      []any{rdsevent.SourceRDS},
		"detail-type": []any{rdsevent.DetailAPICall},
		"detail": map[string]any{
			"eventSource":  []any{rdsevent.CloudTrailSource},
			"eventName":    toAny(slices.Concat(tripwire.APICalls, tripwire.GroupCalls)),
			"userIdentity": map[string]any{"sessionContext": map[string]any{"sessionIssuer": map[string]any{"arn": issuers}}},
		},
	}
}

// newTripwireCheck adds the check rule of one bus (nil name: the default
// bus), with the function as target (its retries and dead-letter queue)
// and checkInput as the input.
func newTripwireCheck(scope constructs.Construct, id string, busName *string, orgBus awsevents.IEventBus, issuers []any,
	rem *Remediator) awsevents.Rule {
	p := tripwireCheckPattern(issuers)
	detail := p["detail"].(map[string]any)
	var bus awsevents.IEventBus
	desc := "forcessl tripwire: every ModifyDBInstance/ModifyDBCluster by a forcessl role, to the function's check of its request keys"
	if busName != nil {
		bus = orgBus
		desc += ", forwarded from member accounts"
	}
	rule := awsevents.NewRule(scope, jsii.String(id), &awsevents.RuleProps{
		EventBus:    bus,
		Description: jsii.String(desc),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(rdsevent.SourceRDS),
			DetailType: jsii.Strings(rdsevent.DetailAPICall),
			Detail:     &detail,
		},
		Targets: &[]awsevents.IRuleTarget{rem.Target(nil)},
	})
	// The L2 targets take no predefined variable; set the transformer on
	// the L1 (the L2 target already added the invoke permission).
	rule.Node().DefaultChild().(awsevents.CfnRule).AddPropertyOverride(jsii.String("Targets.0.InputTransformer"),
		map[string]any{"InputTemplate": checkInput})
	return rule
}
