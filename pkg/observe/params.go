package observe

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
)

// Fill reads what Decide asked for (need) into o: the protocol of plan.Need.
// The parameters read, in the resource's group and in every group asked
// for, are the policy's for the resource and the observer's TLS profile.
func (ob *Observer) Fill(ctx context.Context, o *plan.Observed, need plan.Need) error {
	names := plan.ParameterNames(o.Resource, ob.Profile)
	kind := o.Resource.Kind
	if need.Params {
		ps, err := ob.Parameters(ctx, kind, o.Resource.Group, names)
		if err != nil {
			return err
		}
		o.Params = ps
	}
	for _, name := range need.Groups {
		g, err := ob.Group(ctx, kind, name, names)
		if err != nil {
			return err
		}
		if o.Groups == nil {
			o.Groups = map[string]*plan.Group{}
		}
		o.Groups[name] = &g
	}
	if need.CAs {
		o.CAs = ob.CAs(ctx)
	}
	if need.Global {
		g, err := ob.Global(ctx, o.Resource)
		if err != nil {
			return err
		}
		o.Global = &g
	}
	if len(need.Restarts) > 0 {
		seen, err := ob.Restarts(ctx, need.Restarts, need.RestartsSince)
		if err != nil {
			return err
		}
		if o.Restarts == nil {
			o.Restarts = map[string]time.Time{}
		}
		maps.Copy(o.Restarts, seen)
	}
	if need.Schedules {
		s, err := ob.ScheduledActions(ctx, *o)
		if err != nil {
			return err
		}
		o.Schedules = s
	}
	if need.Users != "" {
		users, err := ob.users(ctx, kind, need.Users)
		if err != nil {
			return err
		}
		if o.Users == nil {
			o.Users = map[string][]plan.Resource{}
		}
		o.Users[need.Users] = users
	}
	return nil
}

// users lists the resources using a group: instances for a DB parameter
// group, clusters for a DB cluster parameter group.
func (ob *Observer) users(ctx context.Context, kind plan.Kind, group string) ([]plan.Resource, error) {
	keep := func(r plan.Resource) bool { return strings.EqualFold(r.Group, group) }
	if kind == plan.KindCluster {
		return ob.Clusters(ctx, keep)
	}
	return ob.Instances(ctx, keep)
}

// Parameters reads some parameters of a group of the kind's group type,
// filtered by parameter-name (the only filter RDS supports; one call for
// all of them), with every page read and the names matched client-side, so
// a region that refuses or ignores the filter still gets the right answer.
// A name the group does not list comes back not Found.
func (ob *Observer) Parameters(ctx context.Context, kind plan.Kind, group string, names []string) (map[string]plan.Parameter, error) {
	key := func(name string) string { return string(kind) + "\x00" + group + "\x00" + name }
	out := map[string]plan.Parameter{}
	var missing []string
	ob.mu.Lock()
	for _, n := range names {
		if p, ok := ob.params[key(n)]; ok {
			out[n] = p
		} else {
			missing = append(missing, n)
		}
	}
	ob.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	found := map[string]plan.Parameter{}
	find := func(filters []types.Filter) error {
		return ob.pages(ctx, kind, group, nil, filters, func(ps []types.Parameter) bool {
			for _, q := range ps {
				if n := aws.ToString(q.ParameterName); slices.Contains(missing, n) {
					found[n] = plan.Parameter{Found: true, Value: aws.ToString(q.ParameterValue), ApplyType: aws.ToString(q.ApplyType),
						AllowedValues: aws.ToString(q.AllowedValues)}
				}
			}
			return len(found) < len(missing)
		})
	}
	err := find([]types.Filter{{Name: aws.String("parameter-name"), Values: missing}})
	if awserr.Is(err, "InvalidParameterValue", "InvalidParameterCombination") {
		err = find(nil)
	}
	if err != nil {
		return nil, awserr.Classify(fmt.Errorf("read %s of %s %s: %w", strings.Join(missing, ", "), groupNoun(kind), group, err))
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	for _, n := range missing {
		out[n] = found[n]
		ob.params[key(n)] = found[n]
	}
	return out, nil
}

// pages reads a group's parameters page by page through the kind's API
// (DescribeDBParameters or DescribeDBClusterParameters), until each says
// to stop.
func (ob *Observer) pages(ctx context.Context, kind plan.Kind, group string, source *string, filters []types.Filter,
	each func([]types.Parameter) bool) error {
	var marker *string
	for {
		var params []types.Parameter
		if kind == plan.KindCluster {
			out, err := ob.RDS.DescribeDBClusterParameters(ctx, &rds.DescribeDBClusterParametersInput{
				DBClusterParameterGroupName: aws.String(group), Source: source, Filters: filters, Marker: marker})
			if err != nil {
				return err
			}
			params, marker = out.Parameters, out.Marker
		} else {
			out, err := ob.RDS.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{
				DBParameterGroupName: aws.String(group), Source: source, Filters: filters, Marker: marker})
			if err != nil {
				return err
			}
			params, marker = out.Parameters, out.Marker
		}
		if !each(params) || aws.ToString(marker) == "" {
			return nil
		}
	}
}

// Forget drops what the observer remembers of a group (after forcessl
// changed it).
func (ob *Observer) Forget(group string) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	for k := range ob.params {
		if _, rest, _ := strings.Cut(k, "\x00"); strings.HasPrefix(rest, group+"\x00") {
			delete(ob.params, k)
		}
	}
	for k := range ob.groups {
		if _, name, _ := strings.Cut(k, "\x00"); name == group {
			delete(ob.groups, k)
		}
	}
}

// Group reads an existing group in full: family, tags, the parameters
// named and user-set parameters. Exists is false when there is no such group. A
// default group's name says its family, and it carries no user settings
// and no tags of ours: only its parameter is read.
func (ob *Observer) Group(ctx context.Context, kind plan.Kind, name string, params []string) (plan.Group, error) {
	if family, ok := paramgroup.FamilyOfDefault(name); ok {
		ps, err := ob.Parameters(ctx, kind, name, params)
		return plan.Group{Name: name, Exists: true, Family: family, Tags: map[string]string{}, UserParams: map[string]string{},
			Params: ps}, err
	}
	key := string(kind) + "\x00" + name
	ob.mu.Lock()
	g, ok := ob.groups[key]
	ob.mu.Unlock()
	if ok {
		g.Tags, g.UserParams = maps.Clone(g.Tags), maps.Clone(g.UserParams)
		var err error
		g.Params, err = ob.Parameters(ctx, kind, name, params)
		return g, err
	}
	family, arn, found, err := ob.describeGroup(ctx, kind, name)
	if err != nil || !found {
		// Not remembered: a group found missing may be created meanwhile.
		return plan.Group{Name: name}, err
	}
	g = plan.Group{Name: name, Exists: true, Family: family, Tags: map[string]string{}}
	tags, err := ob.RDS.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	if err != nil {
		return plan.Group{}, awserr.Classify(fmt.Errorf("list tags of %s %s: %w", groupNoun(kind), name, err))
	}
	for _, t := range tags.TagList {
		g.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if g.UserParams, err = ob.UserParams(ctx, kind, name); err != nil {
		return plan.Group{}, err
	}
	ob.mu.Lock()
	if ob.groups != nil {
		ob.groups[key] = plan.Group{Name: name, Exists: true, Family: family, Tags: maps.Clone(g.Tags), UserParams: maps.Clone(g.UserParams)}
	}
	ob.mu.Unlock()
	g.Params, err = ob.Parameters(ctx, kind, name, params)
	return g, err
}

func (ob *Observer) describeGroup(ctx context.Context, kind plan.Kind, name string) (family, arn string, found bool, err error) {
	if kind == plan.KindCluster {
		out, err := ob.RDS.DescribeDBClusterParameterGroups(ctx, &rds.DescribeDBClusterParameterGroupsInput{DBClusterParameterGroupName: aws.String(name)})
		switch {
		case awserr.Is(err, "DBParameterGroupNotFound", "DBParameterGroupNotFoundFault"):
			return "", "", false, nil
		case err != nil:
			return "", "", false, awserr.Classify(fmt.Errorf("describe cluster parameter group %s: %w", name, err))
		case len(out.DBClusterParameterGroups) == 0:
			return "", "", false, nil
		}
		g := out.DBClusterParameterGroups[0]
		return aws.ToString(g.DBParameterGroupFamily), aws.ToString(g.DBClusterParameterGroupArn), true, nil
	}
	out, err := ob.RDS.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(name)})
	switch {
	case awserr.Is(err, "DBParameterGroupNotFound", "DBParameterGroupNotFoundFault"):
		return "", "", false, nil
	case err != nil:
		return "", "", false, awserr.Classify(fmt.Errorf("describe parameter group %s: %w", name, err))
	case len(out.DBParameterGroups) == 0:
		return "", "", false, nil
	}
	g := out.DBParameterGroups[0]
	return aws.ToString(g.DBParameterGroupFamily), aws.ToString(g.DBParameterGroupArn), true, nil
}

// UserParams reads the parameters a user set in a group (Source "user").
func (ob *Observer) UserParams(ctx context.Context, kind plan.Kind, group string) (map[string]string, error) {
	params := map[string]string{}
	err := ob.pages(ctx, kind, group, aws.String("user"), nil, func(ps []types.Parameter) bool {
		for _, p := range ps {
			if aws.ToString(p.Source) == "user" {
				params[aws.ToString(p.ParameterName)] = aws.ToString(p.ParameterValue)
			}
		}
		return true
	})
	if err != nil {
		return nil, awserr.Classify(fmt.Errorf("read user parameters of %s %s: %w", groupNoun(kind), group, err))
	}
	return params, nil
}

func groupNoun(kind plan.Kind) string {
	if kind == plan.KindCluster {
		return "cluster parameter group"
	}
	return "parameter group"
}
