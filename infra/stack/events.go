package stack

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/rdsevent"
)

// rulePattern is one of the engine's event filters, as a rule. slug names
// the member accounts' forwarding rule (memberRuleName).
type rulePattern struct {
	id, slug, description string
	pattern               *awsevents.EventPattern
	// json is the pattern as EventBridge receives it (measured against
	// maxEventPatternChars).
	json map[string]any
}

// eventFilter is one of the engine's event filters: source aws.rds, one
// detail-type, and detail[key] one of values (with the other detail fields
// in fixed).
type eventFilter struct {
	id, slug, description string
	detailType, key       string
	values                []string
	fixed                 map[string]any
}

// eventFilters are the filters of the events the engine handles, from its
// own lists (pkg/rdsevent), so the function is woken for exactly what it
// acts on. New filters go last: the rules of the existing ones keep their
// construct IDs, and in member accounts their names.
func eventFilters() []eventFilter {
	return []eventFilter{
		{"InstanceEventsRule", "instance-events", "forcessl: RDS DB instance events that may leave an instance without forced TLS",
			rdsevent.DetailInstance, "EventID", rdsevent.InstanceEventIDs(), nil},
		{"ParameterGroupEventsRule", "parameter-group-events", "forcessl: RDS DB parameter changes",
			rdsevent.DetailParameterGroup, "EventID", []string{rdsevent.ParameterGroupEvent}, nil},
		// Every CloudTrail event name the engine acts on: instances, their
		// parameter groups, DB clusters and DB cluster parameter groups
		// (RDS sends no event for a cluster parameter group change).
		{"ApiCallsRule", "api-calls", "forcessl: RDS API calls (via CloudTrail) that create or reconfigure instances, " +
			"clusters and their parameter groups",
			rdsevent.DetailAPICall, "eventName", rdsevent.APICalls(), map[string]any{"eventSource": []any{rdsevent.CloudTrailSource}}},
		{"ClusterEventsRule", "cluster-events", "forcessl: RDS DB cluster events that may leave a cluster without forced TLS",
			rdsevent.DetailCluster, "EventID", rdsevent.ClusterEventIDs(), nil},
	}
}

// eventPatternBudget is what a rule's pattern may take: EventBridge's limit
// with the tripwire's margin.
const eventPatternBudget = tripwirePatternBudget

// eventPatterns are the rules of the engine's filters. The default-bus
// rules, the central bus rules and the member accounts' forwarding rules
// all use them; accounts (optional) restricts the pattern's account field.
//
// A pattern is at most maxEventPatternChars (EventBridge quotas), so a
// filter whose pattern would be longer is split over several rules: its
// values first (the engine's lists; the later rules get the filter's ID
// and slug with a number), then, on the central bus, the accounts
// (allow-lists of hundreds of accounts). Today each filter fits one rule
// with room to spare (TestEventPatternSizes); the first rule of each filter
// keeps the filter's ID and slug.
func eventPatterns(accounts []string) []rulePattern {
	return eventPatternsWithin(accounts, eventPatternBudget)
}

func eventPatternsWithin(accounts []string, budget int) []rulePattern {
	var out []rulePattern
	for _, f := range eventFilters() {
		valueChunks := splitWithin(f.values, func(v []string) int { return patternLength(f.pattern(v, nil)) }, budget)
		for i, values := range valueChunks {
			id, slug := f.id, f.slug
			if i > 0 {
				id, slug = fmt.Sprintf("%s%d", f.id, i+1), fmt.Sprintf("%s-%d", f.slug, i+1)
			}
			accountChunks := [][]string{nil}
			if len(accounts) > 0 {
				accountChunks = splitWithin(accounts, func(a []string) int { return patternLength(f.pattern(values, a)) }, budget)
			}
			for j, acc := range accountChunks {
				ruleID := id
				if j > 0 {
					ruleID = fmt.Sprintf("%sAccounts%d", id, j+1)
				}
				out = append(out, rulePattern{ruleID, slug, f.description, f.eventPattern(values, acc), f.pattern(values, acc)})
			}
		}
	}
	return out
}

// pattern is the filter's pattern for some of its values and accounts, as
// JSON.
func (f eventFilter) pattern(values, accounts []string) map[string]any {
	detail := map[string]any{f.key: toAny(values)}
	for k, v := range f.fixed {
		detail[k] = v
	}
	p := map[string]any{
		"source":      []any{rdsevent.SourceRDS},
		"detail-type": []any{f.detailType},
		"detail":      detail,
	}
	if len(accounts) > 0 {
		p["account"] = toAny(accounts)
	}
	return p
}

// eventPattern is pattern as the CDK type.
func (f eventFilter) eventPattern(values, accounts []string) *awsevents.EventPattern {
	p := f.pattern(values, accounts)
	detail := p["detail"].(map[string]any)
	var account *[]*string
	if len(accounts) > 0 {
		account = jsii.Strings(accounts...)
	}
	return &awsevents.EventPattern{
		Source:     jsii.Strings(rdsevent.SourceRDS),
		DetailType: jsii.Strings(f.detailType),
		Account:    account,
		Detail:     &detail,
	}
}

// splitWithin splits l, in order, into as few runs as keep size(run) within
// budget (a single entry that alone exceeds it gets a run of its own).
func splitWithin(l []string, size func([]string) int, budget int) [][]string {
	var chunks [][]string
	var cur []string
	for _, v := range l {
		next := append(slices.Clone(cur), v)
		if len(cur) > 0 && size(next) > budget {
			chunks = append(chunks, cur)
			next = []string{v}
		}
		cur = next
	}
	if len(cur) > 0 {
		chunks = append(chunks, cur)
	}
	return chunks
}

func toAny(l []string) []any {
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = v
	}
	return out
}

// eventSourcesAndTypes are the source and detail-types of the engine's
// event filters, each once, in filter order: what the rules match, so what
// a bus that only forwards to them needs to accept.
func eventSourcesAndTypes() (sources, detailTypes []string) {
	for _, p := range eventPatterns(nil) {
		for _, src := range *p.pattern.Source {
			if !slices.Contains(sources, *src) {
				sources = append(sources, *src)
			}
		}
		for _, t := range *p.pattern.DetailType {
			if !slices.Contains(detailTypes, *t) {
				detailTypes = append(detailTypes, *t)
			}
		}
	}
	return sources, detailTypes
}

// memberRuleName names a member account's forwarding rule: fixed, so the
// forwarding role's trust can name its rules' ARNs exactly and an SCP can
// protect them (infra/scp).
func memberRuleName(p rulePattern) string { return MemberNamePrefix + p.slug }

// newEventRules adds, in scope, one rule per engine event filter on bus
// (nil: the account's default bus), each with its own target from target.
// idPrefix and descriptionSuffix tell rule sets apart; name, when not nil,
// gives each rule a fixed name.
func newEventRules(scope constructs.Construct, idPrefix string, bus awsevents.IEventBus, descriptionSuffix string,
	accounts []string, name func(rulePattern) string, target func() awsevents.IRuleTarget) []awsevents.Rule {
	var rules []awsevents.Rule
	for _, p := range eventPatterns(accounts) {
		var ruleName *string
		if name != nil {
			ruleName = jsii.String(name(p))
		}
		rules = append(rules, awsevents.NewRule(scope, jsii.String(idPrefix+p.id), &awsevents.RuleProps{
			EventBus:     bus,
			RuleName:     ruleName,
			Description:  jsii.String(p.description + descriptionSuffix),
			EventPattern: p.pattern,
			Targets:      &[]awsevents.IRuleTarget{target()},
		}))
	}
	return rules
}
