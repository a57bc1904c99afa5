package stack

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// maxConditionsPerOr is what Fn::Or takes: 2 to 10 conditions.
const maxConditionsPerOr = 10

// stackRegionListedID is the condition that the stack's own region is one
// of the listed regions (when the region is a deploy-time value).
const stackRegionListedID = "StackRegionListed"

// CoveredRegions is FORCESSL_REGIONS, the regions forcessl covers for events
// and sweeps alike: the listed ones (Function.Regions: sweepRegions in a
// single account, regions in organization mode) and always the stack's own
// region, whose default-bus rules wake the function.
//
// The stack's region is a literal only when the stack was given an
// environment; otherwise it is AWS::Region, known at deploy time. Then the
// value is a CloudFormation condition: the list as it is when AWS::Region is
// one of its entries, else the list followed by AWS::Region. So the region
// is never listed twice: the engine takes FORCESSL_REGIONS as it is, and a
// region listed twice would be swept twice (two work items for one
// account-region, of which the state table records one, so the run would
// wait for its deadline).
func CoveredRegions(stack awscdk.Stack, listed []string) []string {
	env, _ := regionsWith(stack, listed, stack.Region(), "StackRegionListed")
	return env
}

// regionsWith is listed followed by extra unless extra is one of them, as
// CoveredRegions says, for an extra region that may be a deploy-time value
// (the stack's own); conditionID names the condition when that is decided
// at deploy time. env is the comma-joined form (FORCESSL_REGIONS: one
// string, or one token), list the same regions as a list, for a policy
// condition (aws:RequestedRegion: the region guard).
func regionsWith(stack awscdk.Stack, listed []string, extra *string, conditionID string) (env []string, list *[]*string) {
	region := *extra
	if !*awscdk.Token_IsUnresolved(region) {
		env = slices.Clone(listed)
		if !slices.Contains(listed, region) {
			env = append(env, region)
		}
		return env, jsii.Strings(env...)
	}
	if len(listed) == 0 {
		return []string{region}, jsii.Strings(region)
	}
	var equals []awscdk.ICfnConditionExpression
	for _, r := range listed {
		equals = append(equals, awscdk.Fn_ConditionEquals(extra, jsii.String(r)))
	}
	listedHere := awscdk.NewCfnCondition(stack, jsii.String(conditionID), &awscdk.CfnConditionProps{
		Expression: anyOf(equals),
	})
	joined := strings.Join(listed, ",")
	value := awscdk.Token_AsString(awscdk.Fn_ConditionIf(listedHere.LogicalId(), joined,
		awscdk.Fn_Join(jsii.String(","), jsii.Strings(joined, region))), nil)
	return []string{*value}, awscdk.Fn_Split(jsii.String(","), value, nil)
}

// anyOf is true when any of conditions is: one alone, or Fn::Or of at most
// 10 at a time, nested.
func anyOf(conditions []awscdk.ICfnConditionExpression) awscdk.ICfnConditionExpression {
	for len(conditions) > 1 {
		var next []awscdk.ICfnConditionExpression
		for i := 0; i < len(conditions); i += maxConditionsPerOr {
			chunk := conditions[i:min(i+maxConditionsPerOr, len(conditions))]
			if len(chunk) == 1 {
				next = append(next, chunk[0])
				continue
			}
			next = append(next, awscdk.Fn_ConditionOr(chunk...))
		}
		conditions = next
	}
	return conditions[0]
}
