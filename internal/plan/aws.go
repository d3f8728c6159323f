package plan

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/aws"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/redact"
	"github.com/fleetup/fleetup/internal/secrets"
)

// AskAWS completes the plan from AWS, reading only: the account and
// identity, the EKS cluster (which must be ACTIVE), the Route53 zone when
// external-dns uses it, and whether each secret will be created, updated
// or left unchanged. Every check runs; the problems are returned together.
// want are the secrets with their values, in the order of Secrets.Items.
func (p *Plan) AskAWS(ctx context.Context, a *aws.Clients, want []aws.Secret) []string {
	var problems []string
	cfg := p.Config
	id, err := a.Identity(ctx)
	if err != nil {
		return []string{fmt.Sprintf("AWS credentials: %v", err)}
	}
	p.Target.Account, p.Target.Identity = id.Account, id.ARN
	if cfg.Target == config.TargetEKS {
		cl, err := a.Cluster(ctx, cfg.ClusterName)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case cl.Status != "ACTIVE":
			problems = append(problems, fmt.Sprintf("EKS cluster %s is %s, not ACTIVE", cl.Name, cl.Status))
		default:
			p.Target.Endpoint = cl.Endpoint
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
				p.Secrets.Items[i].Action = string(action)
			}
		}
	}
	return problems
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
