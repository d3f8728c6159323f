package plan

import (
	"fmt"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/helm"
)

// useForkStore drops fleetup's ClusterSecretStore when a bootstrap manifest
// makes one of the configured name: applying both would flip the object
// between them on every install and every Argo CD sync. s.Warnings gets
// what would make the fork's store read the wrong place.
func useForkStore(cfg *config.Config, s *Secrets, bootstrap []helm.Manifest) {
	for _, m := range bootstrap {
		if m.Kind != "ClusterSecretStore" || m.Name != cfg.Secrets.StoreName {
			continue
		}
		var kept []helm.Manifest
		for _, o := range s.Store {
			if o.Kind != "ClusterSecretStore" {
				kept = append(kept, o)
			}
		}
		s.Store = kept
		if s.Store == nil {
			s.Store = []helm.Manifest{}
		}
		s.StoreFrom = m.Source
		aws, isAWS := dig(m.Object, "spec", "provider", "aws").(map[string]any)
		switch {
		case cfg.Secrets.Backend == config.BackendAWS && !isAWS:
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s: ClusterSecretStore %s does not read AWS Secrets Manager, but secrets.backend is aws: External Secrets will not find the secrets fleetup writes", m.Source, m.Name))
		case cfg.Secrets.Backend == config.BackendAWS && str(aws["region"]) != cfg.Region:
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s: ClusterSecretStore %s reads region %q, config.yaml's region is %q: External Secrets would read the secrets from the wrong region; make them the same", m.Source, m.Name, str(aws["region"]), cfg.Region))
		case cfg.Secrets.Backend == config.BackendKubernetes && isAWS:
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s: ClusterSecretStore %s reads AWS Secrets Manager, but secrets.backend is kubernetes: External Secrets will not find the secrets fleetup writes", m.Source, m.Name))
		}
		return
	}
}
