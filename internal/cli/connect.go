package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/fleetup/fleetup/internal/aws"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/kind"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
)

// Conn is how a command reaches the platform: its cluster and, when the
// target or the secrets backend is AWS, the AWS clients.
type Conn struct {
	// Kube is nil when the target cluster does not exist (kind, not yet
	// created).
	Kube *kube.Client
	AWS  *aws.Clients
	// EKS is the described cluster of target eks.
	EKS *aws.Cluster
	// KindCreated is true when this run created the kind cluster.
	KindCreated bool
}

// NeedsAWS reports whether the config uses AWS.
func NeedsAWS(cfg *config.Config) bool {
	return cfg.Target == config.TargetEKS || cfg.Secrets.Backend == config.BackendAWS
}

// AWS builds the AWS clients for the config's region and --profile.
// AWS_ENDPOINT_URL and the other standard variables apply.
func (g *Global) AWS(ctx context.Context, cfg *config.Config) (*aws.Clients, error) {
	return aws.New(ctx, aws.Options{Region: cfg.Region, Profile: g.Profile})
}

// loadInstalled is the plan and a connection to its installed cluster,
// for the commands that read the platform (status, urls).
func (g *Global) loadInstalled(ctx context.Context) (*plan.Plan, *kube.Client, error) {
	pl, err := Load(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	kc, err := g.ConnectInstalled(ctx, pl.Config)
	if err != nil {
		return nil, nil, err
	}
	return pl, kc, nil
}

// ConnectInstalled connects to an installed platform's cluster for a
// command that only reads it: a kind cluster that does not exist is
// nothing installed, not something to create.
func (g *Global) ConnectInstalled(ctx context.Context, cfg *config.Config) (*kube.Client, error) {
	conn, err := g.Connect(ctx, cfg, false)
	if err != nil {
		return nil, err
	}
	if conn.Kube == nil {
		return nil, fmt.Errorf("kind cluster %s does not exist: nothing is installed (fleetup install creates it)", cfg.ClusterName)
	}
	return conn.Kube, nil
}

// Connect reaches the target cluster: an EKS cluster through the AWS API
// (no kubeconfig), the kind cluster (created first when create is set), or
// the --kubeconfig/--context cluster.
func (g *Global) Connect(ctx context.Context, cfg *config.Config, create bool) (*Conn, error) {
	c := &Conn{}
	if NeedsAWS(cfg) {
		a, err := g.AWS(ctx, cfg)
		if err != nil {
			return nil, err
		}
		c.AWS = a
	}
	switch cfg.Target {
	case config.TargetEKS:
		cl, err := c.AWS.Cluster(ctx, cfg.ClusterName)
		if err != nil {
			return nil, err
		}
		if cl.Status != "ACTIVE" {
			return nil, fmt.Errorf("EKS cluster %s in %s is %s, not ACTIVE: wait until it is, then run again", cl.Name, cfg.Region, cl.Status)
		}
		c.EKS = &cl
		k, err := kube.New(c.AWS.RESTConfig(ctx, cl))
		if err != nil {
			return nil, err
		}
		c.Kube = k
	case config.TargetKind:
		o := kind.Options{Name: cfg.ClusterName, NodeImage: cfg.Kind.NodeImage}
		if cfg.Kind.ConfigFile != "" {
			o.ConfigFile = cfg.Resolve(cfg.Kind.ConfigFile)
		}
		if create {
			rc, created, err := kind.Ensure(ctx, o)
			if err != nil {
				return nil, err
			}
			c.KindCreated = created
			if c.Kube, err = kube.New(rc); err != nil {
				return nil, err
			}
			return c, nil
		}
		rc, ok, err := kind.Connect(o.Name)
		if err != nil || !ok {
			return c, err
		}
		if c.Kube, err = kube.New(rc); err != nil {
			return nil, err
		}
	default:
		k, err := g.Kube()
		if err != nil {
			return nil, err
		}
		c.Kube = k
	}
	if c.Kube != nil {
		if err := c.Kube.Reachable(ctx, reachableWait); err != nil {
			return nil, fmt.Errorf("%w; %s", err, g.reachHint(cfg))
		}
	}
	return c, nil
}

// reachableWait is how long a command waits for its cluster's API server
// to answer at all before it says the cluster cannot be reached.
const reachableWait = 20 * time.Second

// reachHint says what to check when the target cluster does not answer or
// refuses the credentials.
func (g *Global) reachHint(cfg *config.Config) string {
	switch cfg.Target {
	case config.TargetEKS:
		return fmt.Sprintf("check that this machine reaches EKS cluster %s's endpoint (public access, or a network path to the private one) and that your AWS identity has an access entry on it", cfg.ClusterName)
	case config.TargetKind:
		return fmt.Sprintf("check that kind cluster %s's node container is running (`kind get clusters`, `docker ps`)", cfg.ClusterName)
	}
	which := "the current context of $KUBECONFIG or ~/.kube/config"
	if g.Kubeconfig != "" {
		which = "the current context of " + g.Kubeconfig
	}
	if g.Context != "" {
		which = "context " + g.Context
	}
	return fmt.Sprintf("fleetup used %s: check that this cluster is running and its credentials are current, or choose another with --kubeconfig FILE and --context NAME", which)
}
