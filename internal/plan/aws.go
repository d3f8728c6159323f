package plan

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/aws"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/redact"
	"github.com/fleetup/fleetup/internal/secrets"
)

// Live is what AWS answered, read only: the account and identity, the
// EKS endpoint, and what would happen to each secret. It is kept apart
// from the Plan, which stays what config and catalog say (its hash must
// not change between runs because of an answer from AWS).
type Live struct {
	Account, Identity, Endpoint string
	// SecretActions maps a secret's name to create, update or unchanged.
	SecretActions map[string]string
}

// AskAWS asks AWS about the plan: the account and identity, the EKS
// cluster (which must be ACTIVE), the Route53 zone when external-dns uses
// it, and whether each secret will be created, updated or left unchanged.
// Every check runs; the problems are returned together. want are the
// secrets with their values, in the order of Secrets.Items.
func AskAWS(ctx context.Context, p *Plan, a *aws.Clients, want []aws.Secret) (Live, []string) {
	var problems []string
	live := Live{SecretActions: map[string]string{}}
	cfg := p.Config
	id, err := a.Identity(ctx)
	if err != nil {
		return live, []string{fmt.Sprintf("AWS credentials: %v", err)}
	}
	live.Account, live.Identity = id.Account, id.ARN
	if cfg.Target == config.TargetEKS {
		cl, err := a.Cluster(ctx, cfg.ClusterName)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case cl.Status != "ACTIVE":
			problems = append(problems, fmt.Sprintf("EKS cluster %s is %s, not ACTIVE", cl.Name, cl.Status))
		default:
			live.Endpoint = cl.Endpoint
		}
	}
	if cfg.HostedZoneID != "" && p.Catalog.ByChart("external-dns") != nil && p.Catalog.ByChart("external-dns").Selected {
		if err := a.CheckHostedZone(ctx, cfg.HostedZoneID, cfg.Domain); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if cfg.Secrets.Backend == config.BackendAWS {
		for i, s := range want {
			action, err := a.Diff(ctx, s)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			if i < len(p.Secrets.Items) {
				live.SecretActions[p.Secrets.Items[i].Name] = string(action)
			}
		}
	}
	return live, problems
}

// WithLive returns a copy of the plan showing AWS's answers, for printing.
// The plan itself is left as it is.
func (p *Plan) WithLive(l Live) *Plan {
	c := *p
	if l.Account != "" {
		c.Target.Account, c.Target.Identity = l.Account, l.Identity
	}
	if l.Endpoint != "" {
		c.Target.Endpoint = l.Endpoint
	}
	c.Secrets.Items = append([]SecretItem(nil), p.Secrets.Items...)
	for i, s := range c.Secrets.Items {
		if a, ok := l.SecretActions[s.Name]; ok {
			c.Secrets.Items[i].Action = a
		}
	}
	return &c
}

// AWSSecrets are the platform secrets as Secrets Manager gets them (values
// included: never print them), with config.yaml's tags and KMS key.
func AWSSecrets(cfg *config.Config, red *redact.Redactor) ([]aws.Secret, error) {
	desired, err := secrets.Desired(cfg, red)
	if err != nil {
		return nil, err
	}
	out := make([]aws.Secret, 0, len(desired))
	for _, s := range desired {
		doc, err := s.JSON()
		if err != nil {
			return nil, err
		}
		out = append(out, AWSSecret(cfg, s.Name, doc))
	}
	return out, nil
}

// AWSSecret is one platform secret as Secrets Manager gets it: its JSON
// document with config.yaml's tags and KMS key.
func AWSSecret(cfg *config.Config, name, doc string) aws.Secret {
	return aws.Secret{Name: name, Value: doc, Tags: cfg.Tags, KMSKeyID: cfg.Secrets.KMSKeyID}
}
