// Package route decides, for an event's account, whose credentials the
// engine acts with: its own, a member account's remediation role, or none
// (refused). Pure.
package route

import (
	"fmt"
	"slices"
	"strings"

	"github.com/forcessl/forcessl/pkg/request"
)

// Kind of route.
type Kind string

const (
	Own     Kind = "own"     // the function's own account: its own credentials
	Member  Kind = "member"  // another account: assume its remediation role
	Refused Kind = "refused" // not ours to touch
)

// Route is where and as whom to act.
type Route struct {
	Kind    Kind
	Account string
	RoleARN string // Member only
	Reason  string // Refused only
}

// Settings are the routing inputs that are not the event.
type Settings struct {
	OwnAccount string   // "" when unknown (single-account mode): every event is Own
	Partition  string   // aws, aws-cn, aws-us-gov; default aws
	MemberRole string   // FORCESSL_MEMBER_ROLE_NAME
	Allow      []string // FORCESSL_ACCOUNTS; empty allows every account
}

// Decide routes an event from account.
func Decide(account string, s Settings) Route {
	switch {
	case !request.ValidAccount(account):
		return Route{Kind: Refused, Account: account, Reason: fmt.Sprintf("%q is not an AWS account ID", account)}
	case len(s.Allow) > 0 && !slices.Contains(s.Allow, account):
		return Route{Kind: Refused, Account: account, Reason: "account " + account + " is not in FORCESSL_ACCOUNTS"}
	case s.OwnAccount == "" || account == s.OwnAccount:
		return Route{Kind: Own, Account: account}
	case s.MemberRole == "":
		return Route{Kind: Refused, Account: account,
			Reason: "event from account " + account + " but FORCESSL_MEMBER_ROLE_NAME is not set (single-account deployment)"}
	}
	partition := s.Partition
	if partition == "" {
		partition = "aws"
	}
	return Route{Kind: Member, Account: account, RoleARN: fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, s.MemberRole)}
}

// SessionName names an assumed-role session after what the engine works
// on, so the member account's CloudTrail says which instance forcessl was
// reconciling. STS allows 2-64 characters of [\w+=,.@-].
func SessionName(subject string) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_+=,.@-", r) {
			return r
		}
		return '-'
	}, subject)
	name := "forcessl-" + clean
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}
