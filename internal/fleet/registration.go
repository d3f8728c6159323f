package fleet

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/decode"
	"k8s.io/apimachinery/pkg/util/validation"
)

// validateRegistration checks the registration keys one file sets.
func validateRegistration(path string, r *Registration, add func(path, msg, expected, hint string)) {
	if s := r.ArgoCDNamespace; s != "" && len(validation.IsDNS1123Label(s)) > 0 {
		add(path+".argocdNamespace", fmt.Sprintf("%q is not a namespace name", s), "a DNS-1123 label", lowerHint(s))
	}
	if s := r.RefreshInterval; s != "" {
		// External Secrets writes the interval back as Go prints it; any
		// other spelling makes Argo CD see the ExternalSecret OutOfSync.
		d, err := time.ParseDuration(s)
		switch {
		case err != nil || d <= 0:
			add(path+".refreshInterval", fmt.Sprintf("%q is not a duration", s), "a positive duration as Go writes it, e.g. 1h0m0s", "")
		case d.String() != s:
			add(path+".refreshInterval", fmt.Sprintf("%q is not written as Go writes durations", s), "a duration such as 1h0m0s", fmt.Sprintf("write %s", d))
		}
	}
	for _, k := range decode.SortedKeys(r.Labels) {
		lp := path + ".labels." + k
		switch {
		case len(validation.IsQualifiedName(k)) > 0:
			add(lp, fmt.Sprintf("%q is not a label key", k), "a Kubernetes label key such as team or example.com/tier", "")
		case len(validation.IsValidLabelValue(r.Labels[k])) > 0:
			add(lp, fmt.Sprintf("%q is not a label value", r.Labels[k]), "at most 63 letters, digits, '-', '_' or '.'", "")
		case fleetupLabel(k):
			add(lp, fmt.Sprintf("%s is set by the chart", k), "a label of your own", "the profile's addons switch enable_<addon>; the cluster file names the profile and layers")
		}
	}
	st := r.Store
	if st == nil {
		return
	}
	if s := st.Server; s != "" {
		if u, err := url.Parse(s); err != nil || u.Scheme != "https" || u.Host == "" {
			add(path+".store.server", fmt.Sprintf("%q is not an https URL", s), "the API server's URL, e.g. https://kubernetes.default.svc", "")
		}
	}
	if s := st.CAConfigMap; s != "" && len(validation.IsDNS1123Subdomain(s)) > 0 {
		add(path+".store.caConfigMap", fmt.Sprintf("%q is not a ConfigMap name", s), "a DNS-1123 subdomain", "")
	}
	if s := st.CAKey; s != "" && len(validation.IsConfigMapKey(s)) > 0 {
		add(path+".store.caKey", fmt.Sprintf("%q is not a ConfigMap key", s), "letters, digits, '-', '_' or '.'", "")
	}
}

// fleetupLabel: what the chart puts on the cluster secret itself.
func fleetupLabel(k string) bool {
	switch k {
	case "argocd.argoproj.io/secret-type", "clusterName", "environment", "app.kubernetes.io/managed-by":
		return true
	}
	return strings.HasPrefix(k, "enable_") || strings.HasPrefix(k, "fleetup.dev/")
}
