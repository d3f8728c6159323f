package envtest

// PlatformCRDs are the CRDs of the developer platform's operators whose
// Go modules ship them: CloudNativePG's (the databases' Cluster) and
// Crossplane's (providers, functions, XRDs, compositions), at the versions
// the catalog installs. The Keycloak Operator is not a Go module: its CRDs
// cannot be had here.
func PlatformCRDs() []CRDSource {
	return []CRDSource{
		{Module: "github.com/cloudnative-pg/cloudnative-pg", VersionKey: "CNPG_VERSION", Dirs: []string{"config/crd/bases"}},
		{Module: "github.com/crossplane/crossplane/v2", VersionKey: "CROSSPLANE_VERSION", Dirs: []string{"cluster/crds"}},
	}
}
