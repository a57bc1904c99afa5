package stack

import (
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/config"
)

func TestBlastRadiusSettings(t *testing.T) {
	// GIVEN no key WHEN read THEN the engine's defaults, which never block a normal week
	s, err := parseContext(map[string]any{})
	if err != nil || s.Function.RebootBudget != (config.RebootBudget{Account: config.DefaultBudgetAccount, Org: config.DefaultBudgetOrg}) ||
		s.Function.RestartTimeout != config.DefaultRestartTimeout || s.Function.EnforceAccounts != nil || s.Function.EnforceOUs != nil {
		t.Errorf("defaults: %+v, %v", s.Function, err)
	}
	// GIVEN every key WHEN read THEN typed by the engine and set on the function
	s, err = parseContext(map[string]any{CtxMode: "enforce", CtxRebootBudget: "account=10/h,org=100/h",
		CtxEnforceAccounts: "111111111111, 222222222222,111111111111", CtxEnforceOUs: "ou-ab12-cdef3456", CtxRestartTimeout: "45m"})
	if err != nil || s.Function.RebootBudget != (config.RebootBudget{Account: 10, Org: 100}) || len(s.Function.EnforceAccounts) != 2 ||
		s.Function.EnforceOUs[0] != "ou-ab12-cdef3456" || s.Function.RestartTimeout != 45*time.Minute {
		t.Fatalf("got %+v, %v", s.Function, err)
	}
	env := s.FunctionConfig(DeployTime{}).Env()
	if env["FORCESSL_REBOOT_BUDGET"] != "account=10/h,org=100/h" || env["FORCESSL_ENFORCE_ACCOUNTS"] != "111111111111,222222222222" ||
		env["FORCESSL_ENFORCE_OUS"] != "ou-ab12-cdef3456" || env["FORCESSL_RESTART_TIMEOUT"] != "45m" {
		t.Errorf("function environment %v", env)
	}
	assertContextErrors(t, []contextErrorCase{
		{map[string]any{CtxRebootBudget: "10"}, `context rebootBudget: FORCESSL_REBOOT_BUDGET="10": want account=N/h,org=N/h`},
		{map[string]any{CtxEnforceAccounts: "prod"}, `context enforceAccounts: FORCESSL_ENFORCE_ACCOUNTS="prod"`},
		{map[string]any{CtxEnforceOUs: "sales"}, `context enforceOus: FORCESSL_ENFORCE_OUS="sales"`},
		{map[string]any{CtxRestartTimeout: "5s"}, `context restartTimeout: FORCESSL_RESTART_TIMEOUT="5s"`},
	})
}
