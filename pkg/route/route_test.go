package route

import (
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	org := Settings{OwnAccount: "111111111111", MemberRole: "forcessl-remediation"}
	tests := []struct {
		name    string
		account string
		s       Settings
		want    Kind
		role    string
		reason  string
	}{
		{"own account", "111111111111", org, Own, "", ""},
		{"member account", "222222222222", org, Member, "arn:aws:iam::222222222222:role/forcessl-remediation", ""},
		{"member in China partition", "222222222222", Settings{OwnAccount: "111111111111", MemberRole: "r", Partition: "aws-cn"}, Member, "arn:aws-cn:iam::222222222222:role/r", ""},
		{"allow-listed member", "222222222222", Settings{OwnAccount: "111111111111", MemberRole: "r", Allow: []string{"222222222222"}}, Member, "arn:aws:iam::222222222222:role/r", ""},
		{"refused: not in allow-list", "333333333333", Settings{OwnAccount: "111111111111", MemberRole: "r", Allow: []string{"222222222222"}}, Refused, "", "FORCESSL_ACCOUNTS"},
		{"refused: own account not in allow-list", "111111111111", Settings{OwnAccount: "111111111111", MemberRole: "r", Allow: []string{"222222222222"}}, Refused, "", "FORCESSL_ACCOUNTS"},
		{"refused: member but no role configured", "222222222222", Settings{OwnAccount: "111111111111"}, Refused, "", "FORCESSL_MEMBER_ROLE_NAME"},
		{"single-account mode: own", "222222222222", Settings{}, Own, "", ""},
		{"bad account ID", "12345", org, Refused, "", "not an AWS account ID"},
		{"ARN instead of account", "arn:aws:iam::222222222222:root", org, Refused, "", "not an AWS account ID"},
		{"empty", "", org, Refused, "", "not an AWS account ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Decide(tt.account, tt.s)
			if r.Kind != tt.want || r.RoleARN != tt.role || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("Decide(%q) = %+v; want %s %q (reason ~%q)", tt.account, r, tt.want, tt.role, tt.reason)
			}
		})
	}
}

func TestSessionName(t *testing.T) {
	for _, subject := range []string{"orders-sql", strings.Repeat("x", 63), "pg:weird name/with*chars"} {
		n := SessionName(subject)
		if len(n) < 2 || len(n) > 64 || strings.Trim(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-") != "" {
			t.Errorf("SessionName(%q) = %q", subject, n)
		}
		if !strings.Contains(n, subject[:min(len(subject), 10)]) && !strings.HasPrefix(subject, "pg:") {
			t.Errorf("SessionName(%q) = %q does not name the subject", subject, n)
		}
	}
}
