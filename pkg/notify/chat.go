package notify

import (
	"fmt"
	"strings"

	"github.com/forcessl/forcessl/pkg/plan"
)

// chatbot renders a notice for AWS Chatbot (Amazon Q Developer in chat
// applications).
func chatbot(n Notice) map[string]any {
	desc := []string{fmt.Sprintf("*%s* (%s) in `%s` / `%s`", n.Instance, n.Engine, n.Account, n.Region), n.Reason}
	if n.Error != "" {
		desc = append(desc, "Error: "+n.Error)
	}
	for _, m := range n.Members {
		desc = append(desc, "member "+m.String())
	}
	for _, a := range n.Actions {
		desc = append(desc, "• "+a)
	}
	next := []string{}
	if n.RebootAt != nil {
		next = append(next, "Reboot scheduled "+n.RebootAt.UTC().Format("Mon 2006-01-02 15:04 UTC")+" (window "+n.Window+")")
	}
	if n.Report {
		next = append(next, "Set FORCESSL_MODE=enforce to let forcessl fix it")
	} else if n.Outcome == plan.OutcomeRefused || n.Outcome == plan.OutcomeFailed || n.Outcome == plan.OutcomeUntrusted {
		next = append(next, "Fix by hand, then re-run forcessl on the "+n.noun())
	}
	if n.guides() {
		next = append(next, "Client owners: use TLS and verify the server with "+BundleURL(n.Region))
	}
	next = append(next, fmt.Sprintf("Exempt: tag `%s=true` on the %s", n.ExemptTag, n.noun()))
	resources := []string{}
	if n.InstanceARN != "" {
		resources = append(resources, n.InstanceARN)
	}
	return Chat{
		Title: title(n), Description: strings.Join(desc, "\n"), NextSteps: next,
		Keywords: []string{"forcessl", n.OutcomeName(), n.Account, n.Region},
		ThreadID: fmt.Sprintf("forcessl-%s-%s-%s", n.Account, n.Region, n.Instance), EventType: "forcessl." + n.OutcomeName(),
		Resources: resources,
		Context:   map[string]string{"account": n.Account, "region": n.Region, "outcome": n.OutcomeName(), "severity": n.Severity()},
	}.Schema()
}

// Chat is one AWS Chatbot custom notification.
type Chat struct {
	Title, Description  string
	NextSteps, Keywords []string
	ThreadID, EventType string
	Resources           []string
	Context             map[string]string
}

// Schema renders the documented custom-notification schema: version 1.0,
// source custom (anything else is dropped by Chatbot); threadId groups the
// messages about one thing into one chat thread.
func (c Chat) Schema() map[string]any {
	if c.NextSteps == nil {
		c.NextSteps = []string{}
	}
	if c.Resources == nil {
		c.Resources = []string{}
	}
	return map[string]any{
		"version": "1.0",
		"source":  "custom",
		"content": map[string]any{
			"textType": "client-markdown", "title": c.Title, "description": c.Description,
			"nextSteps": c.NextSteps, "keywords": c.Keywords,
		},
		"metadata": map[string]any{
			"threadId": c.ThreadID, "summary": c.Title, "eventType": c.EventType,
			"relatedResources": c.Resources, "additionalContext": c.Context,
		},
	}
}
