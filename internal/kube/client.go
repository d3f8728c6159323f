// Package kube is fleetup's access to a Kubernetes API server: a dynamic
// client with a discovery-backed RESTMapper, server-side apply under one
// field manager, and waits built on watches.
package kube

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// FieldManager owns every field fleetup applies.
const FieldManager = "fleetup"

// Client bundles the clients fleetup uses against one cluster.
type Client struct {
	Config    *rest.Config
	Dynamic   dynamic.Interface
	Typed     kubernetes.Interface
	Discovery discovery.CachedDiscoveryInterface
	Mapper    *restmapper.DeferredDiscoveryRESTMapper
}

// RESTConfig loads a kubeconfig the way kubectl does: explicit path, else
// $KUBECONFIG, else ~/.kube/config; context overrides the current one.
func RESTConfig(kubeconfig, context string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		// client-go's own words name an environment variable that fleetup
		// does not read (KUBERNETES_MASTER).
		where := "$KUBECONFIG and ~/.kube/config"
		if kubeconfig != "" {
			where = kubeconfig
		}
		return nil, fmt.Errorf("no kubeconfig: nothing to connect with in %s; give one with --kubeconfig FILE or KUBECONFIG=FILE (and --context NAME for another context than its current one), or let fleetup reach the cluster itself: target: eks (AWS credentials) or target: kind in config.yaml", where)
	}
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	return cfg, nil
}

// New builds a Client for cfg whose requests retry transient failures
// with the default RetryOptions.
func New(cfg *rest.Config) (*Client, error) { return NewWithRetry(cfg, RetryOptions{}) }

// NewWithRetry builds a Client for cfg whose requests retry transient
// failures as retry says. Its Config carries the retrying transport, so
// clients made from it (Helm's) retry too.
func NewWithRetry(cfg *rest.Config, retry RetryOptions) (*Client, error) {
	cfg = rest.CopyConfig(cfg)
	// Wrapped innermost of client-go's wrappers but outside any of cfg's
	// own (the EKS token), so each attempt goes through those again.
	cfg.Wrap(retry.Wrap)
	if cfg.QPS == 0 {
		// Installs apply hundreds of objects; client-go's default of 5 QPS
		// would make that slow for no benefit.
		cfg.QPS, cfg.Burst = 50, 100
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kube client: %w", err)
	}
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kube client: %w", err)
	}
	disc := memory.NewMemCacheClient(typed.Discovery())
	return &Client{
		Config:    cfg,
		Dynamic:   dyn,
		Typed:     typed,
		Discovery: disc,
		Mapper:    restmapper.NewDeferredDiscoveryRESTMapper(disc),
	}, nil
}

// ResetMapper forgets cached discovery, after CRDs were added.
func (c *Client) ResetMapper() { c.Mapper.Reset() }

// IsNoMatch reports whether err, anywhere in its chain, means the kind is
// unknown to the server (its CRD is not installed).
func IsNoMatch(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if meta.IsNoMatchError(e) {
			return true
		}
	}
	return false
}
