package fakeaws

import (
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// The parameter group operations, shared by DB parameter groups and DB
// cluster parameter groups (two namespaces, one behaviour). Locked by the
// caller.

// parameters lists a group's parameters as DescribeDB(Cluster)Parameters
// does: Source and the parameter-name filter honoured.
func parameters(groups map[string]*Group, name string, source *string, filters []rdstypes.Filter) ([]rdstypes.Parameter, error) {
	g, ok := groups[name]
	if !ok {
		return nil, APIError("DBParameterGroupNotFound")
	}
	var out []rdstypes.Parameter
	for pname, p := range g.Params {
		if source != nil && *source != p.Source || len(filters) > 0 && !slices.Contains(filters[0].Values, pname) {
			continue
		}
		rp := rdstypes.Parameter{ParameterName: aws.String(pname), ApplyType: aws.String(p.ApplyType), Source: aws.String(p.Source)}
		if p.AllowedValues != "" {
			rp.AllowedValues = aws.String(p.AllowedValues)
		}
		if p.Value != "" {
			rp.ParameterValue = aws.String(p.Value)
		}
		out = append(out, rp)
	}
	return out, nil
}

// createGroup makes a group of a family's defaults.
func createGroup(groups map[string]*Group, name, family string, defaults map[string]Param, tags []rdstypes.Tag) error {
	if _, ok := groups[name]; ok {
		return APIError("DBParameterGroupAlreadyExists")
	}
	groups[name] = &Group{Family: family, Params: defaults, Tags: tagMap(tags)}
	return nil
}

// copyGroup copies a custom group; a default one cannot be copied ("You
// can't copy a default DB parameter group.").
func copyGroup(groups map[string]*Group, src, name string, tags []rdstypes.Tag) error {
	if strings.HasPrefix(src, "default.") {
		return APIError("InvalidParameterValue")
	}
	s, ok := groups[src]
	if !ok {
		return APIError("DBParameterGroupNotFound")
	}
	if _, ok := groups[name]; ok {
		return APIError("DBParameterGroupAlreadyExists")
	}
	groups[name] = &Group{Family: s.Family, Params: maps.Clone(s.Params), Tags: tagMap(tags)}
	return nil
}

// modifyGroup sets parameters as ModifyDB(Cluster)ParameterGroup does: a
// default group refuses ("Cannot modify a default parameter group"), a
// static parameter needs pending-reboot. It reports whether any change
// waits for a reboot.
func modifyGroup(groups map[string]*Group, name string, params []rdstypes.Parameter) (pending bool, err error) {
	if strings.HasPrefix(name, "default.") {
		return false, APIError("InvalidParameterValue")
	}
	g, ok := groups[name]
	if !ok {
		return false, APIError("DBParameterGroupNotFound")
	}
	for _, p := range params {
		cur := g.Params[aws.ToString(p.ParameterName)]
		if cur.ApplyType == "static" && p.ApplyMethod != rdstypes.ApplyMethodPendingReboot {
			return false, APIError("InvalidParameterCombination")
		}
		g.Params[aws.ToString(p.ParameterName)] = Param{aws.ToString(p.ParameterValue), cur.ApplyType, "user", cur.AllowedValues}
		pending = pending || p.ApplyMethod == rdstypes.ApplyMethodPendingReboot
	}
	return pending, nil
}

func tagMap(tags []rdstypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
