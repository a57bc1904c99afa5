package observe

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
)

// Fill reads what Decide asked for (need) into o: the protocol of plan.Need.
func (ob *Observer) Fill(ctx context.Context, o *plan.Observed, need plan.Need) error {
	req, _ := policy.For(o.Resource.Engine)
	if need.Params {
		p, err := ob.Parameter(ctx, o.Resource.Group, req.Parameter)
		if err != nil {
			return err
		}
		o.Params = map[string]plan.Parameter{req.Parameter: p}
	}
	for _, name := range need.Groups {
		g, err := ob.Group(ctx, name, req.Parameter)
		if err != nil {
			return err
		}
		if o.Groups == nil {
			o.Groups = map[string]*plan.Group{}
		}
		o.Groups[name] = &g
	}
	if need.Schedules {
		s, err := ob.ScheduledActions(ctx, *o)
		if err != nil {
			return err
		}
		o.Schedules = s
	}
	if need.Users != "" {
		users, err := ob.Instances(ctx, func(r plan.Resource) bool { return strings.EqualFold(r.Group, need.Users) })
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

// Parameter reads one parameter of a group: DescribeDBParameters filtered
// by parameter-name (the only filter RDS supports), with every page read
// and the name matched client-side, so a region that refuses or ignores the
// filter still gets the right answer.
func (ob *Observer) Parameter(ctx context.Context, group, name string) (plan.Parameter, error) {
	key := group + "\x00" + name
	ob.mu.Lock()
	p, ok := ob.params[key]
	ob.mu.Unlock()
	if ok {
		return p, nil
	}
	in := &rds.DescribeDBParametersInput{
		DBParameterGroupName: aws.String(group),
		Filters:              []types.Filter{{Name: aws.String("parameter-name"), Values: []string{name}}},
	}
	p, err := findParameter(ctx, ob.RDS, in, name)
	if awserr.Is(err, "InvalidParameterValue", "InvalidParameterCombination") {
		in.Filters = nil
		p, err = findParameter(ctx, ob.RDS, in, name)
	}
	if err != nil {
		return plan.Parameter{}, awserr.Classify(fmt.Errorf("read %s of parameter group %s: %w", name, group, err))
	}
	ob.mu.Lock()
	ob.params[key] = p
	ob.mu.Unlock()
	return p, nil
}

func findParameter(ctx context.Context, client RDS, in *rds.DescribeDBParametersInput, name string) (plan.Parameter, error) {
	pages := rds.NewDescribeDBParametersPaginator(client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return plan.Parameter{}, err
		}
		for _, p := range page.Parameters {
			if aws.ToString(p.ParameterName) == name {
				return plan.Parameter{Found: true, Value: aws.ToString(p.ParameterValue), ApplyType: aws.ToString(p.ApplyType)}, nil
			}
		}
	}
	return plan.Parameter{}, nil
}

// Forget drops what the observer remembers of a group (after forcessl
// changed it).
func (ob *Observer) Forget(group string) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	for k := range ob.params {
		if strings.HasPrefix(k, group+"\x00") {
			delete(ob.params, k)
		}
	}
}

// Group reads an existing group in full: family, tags, the parameter name
// and user-set parameters. Exists is false when there is no such group. A
// default group's name says its family, and it carries no user settings
// and no tags of ours: only its parameter is read.
func (ob *Observer) Group(ctx context.Context, name, param string) (plan.Group, error) {
	if family, ok := paramgroup.FamilyOfDefault(name); ok {
		p, err := ob.Parameter(ctx, name, param)
		return plan.Group{Name: name, Exists: true, Family: family, Tags: map[string]string{}, UserParams: map[string]string{},
			Params: map[string]plan.Parameter{param: p}}, err
	}
	out, err := ob.RDS.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(name)})
	if awserr.Is(err, "DBParameterGroupNotFound", "DBParameterGroupNotFoundFault") {
		return plan.Group{Name: name}, nil
	}
	if err != nil {
		return plan.Group{}, awserr.Classify(fmt.Errorf("describe parameter group %s: %w", name, err))
	}
	if len(out.DBParameterGroups) == 0 {
		return plan.Group{Name: name}, nil
	}
	pg := out.DBParameterGroups[0]
	g := plan.Group{Name: name, Exists: true, Family: aws.ToString(pg.DBParameterGroupFamily), Tags: map[string]string{}}
	tags, err := ob.RDS.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: pg.DBParameterGroupArn})
	if err != nil {
		return plan.Group{}, awserr.Classify(fmt.Errorf("list tags of parameter group %s: %w", name, err))
	}
	for _, t := range tags.TagList {
		g.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if g.UserParams, err = ob.UserParams(ctx, name); err != nil {
		return plan.Group{}, err
	}
	p, err := ob.Parameter(ctx, name, param)
	g.Params = map[string]plan.Parameter{param: p}
	return g, err
}

// UserParams reads the parameters a user set in a group (Source "user").
func (ob *Observer) UserParams(ctx context.Context, group string) (map[string]string, error) {
	params := map[string]string{}
	pages := rds.NewDescribeDBParametersPaginator(ob.RDS, &rds.DescribeDBParametersInput{
		DBParameterGroupName: aws.String(group), Source: aws.String("user")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awserr.Classify(fmt.Errorf("read user parameters of %s: %w", group, err))
		}
		for _, p := range page.Parameters {
			if aws.ToString(p.Source) == "user" {
				params[aws.ToString(p.ParameterName)] = aws.ToString(p.ParameterValue)
			}
		}
	}
	return params, nil
}
