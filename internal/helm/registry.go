package helm

import (
	"fmt"
	"io"
	"net/http"

	"github.com/fleetup/fleetup/internal/catalog"
	"helm.sh/helm/v4/pkg/helmpath"
	"helm.sh/helm/v4/pkg/registry"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// registryAuth is the OCI registry authorizer of every fleetup request to
// a registry (chart pulls and tag lists alike): Helm's transport and Helm's
// credentials (`helm registry login`), falling back to Docker's, as the
// helm CLI reads them.
func registryAuth() (auth.Client, error) {
	opts := credentials.StoreOptions{AllowPlaintextPut: true, DetectDefaultNativeStore: true}
	store, err := credentials.NewStore(helmpath.ConfigPath(registry.CredentialsFileBasename), opts)
	if err != nil {
		return auth.Client{}, fmt.Errorf("helm registry credentials: %w", err)
	}
	var creds credentials.Store = store
	if docker, err := credentials.NewStoreFromDocker(opts); err == nil {
		creds = credentials.NewStoreWithFallbacks(store, docker)
	}
	a := auth.Client{
		Client:     &http.Client{Transport: registry.NewTransport(false)},
		Credential: credentials.Credential(creds),
		Cache:      auth.NewCache(),
	}
	a.SetUserAgent("fleetup")
	return a, nil
}

// plainHTTP is whether src's registry speaks plain HTTP: one on this
// machine (tests, a local mirror).
func plainHTTP(src catalog.Source) bool {
	return src.Kind == catalog.SourceOCI && src.Loopback()
}

// registryClient is Helm's registry client for src with fleetup's
// authorizer.
func registryClient(src catalog.Source) (*registry.Client, error) {
	a, err := registryAuth()
	if err != nil {
		return nil, err
	}
	ropts := []registry.ClientOption{registry.ClientOptEnableCache(true), registry.ClientOptWriter(io.Discard), registry.ClientOptAuthorizer(a)}
	if plainHTTP(src) {
		ropts = append(ropts, registry.ClientOptPlainHTTP())
	}
	rc, err := registry.NewClient(ropts...)
	if err != nil {
		return nil, fmt.Errorf("helm registry client: %w", err)
	}
	return rc, nil
}
