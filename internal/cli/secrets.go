package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Secrets is `fleetup secrets [ADDON...]`: the initial credentials the
// installed addons keep in Secrets of the cluster (the catalog's
// `credentials`), masked unless Show.
type Secrets struct {
	Global *Global
	Addons []string
	Show   bool
}

// CredentialView is one credential as printed; Password only with --show.
type CredentialView struct {
	Addon     string `json:"addon"`
	Name      string `json:"name"`
	Username  string `json:"username,omitempty"`
	Namespace string `json:"namespace"`
	Secret    string `json:"secret"`
	Key       string `json:"key"`
	Found     bool   `json:"found"`
	Password  string `json:"password,omitempty"`
}

// Run reads the credentials; exit 1 when one of them is not there.
func (s *Secrets) Run(ctx context.Context) error {
	g := s.Global
	pl, err := Load(ctx, g)
	if err != nil {
		return err
	}
	addons, err := s.pick(pl.Catalog)
	if err != nil {
		return err
	}
	kc, err := g.ConnectInstalled(ctx, pl.Config)
	if err != nil {
		return err
	}
	views, err := readCredentials(ctx, kc, addons, s.Show)
	if err != nil {
		return err
	}
	if err := s.print(g.Stdout, views); err != nil {
		return err
	}
	for _, v := range views {
		if !v.Found {
			return &ExitError{Code: ExitFailure}
		}
	}
	return nil
}

// pick is the installed addons asked for (all with credentials when none
// is named); an unknown or uninstalled name is a usage error.
func (s *Secrets) pick(cat *catalog.Catalog) ([]*catalog.Addon, error) {
	installed := cat.Installed()
	if len(s.Addons) == 0 {
		var out []*catalog.Addon
		for _, a := range installed {
			if len(a.InitialCredentials()) > 0 {
				out = append(out, a)
			}
		}
		return out, nil
	}
	var names []string
	for _, a := range installed {
		names = append(names, a.Name)
	}
	var out []*catalog.Addon
	for _, n := range s.Addons {
		i := slices.Index(names, n)
		if i < 0 {
			msg := fmt.Sprintf("no installed addon %q (installed: %s)", n, strings.Join(names, ", "))
			if hint := decode.DidYouMean(n, names); hint != "" {
				msg += "; " + hint
			}
			return nil, Usage(fmt.Errorf("%s", msg))
		}
		if len(installed[i].InitialCredentials()) == 0 {
			return nil, Usage(fmt.Errorf("addon %s declares no credentials (the catalog's `credentials` key, docs/catalog.md)", n))
		}
		out = append(out, installed[i])
	}
	return out, nil
}

// readCredentials reads each credential's Secret; the password is kept
// only when show asks for it.
func readCredentials(ctx context.Context, kc *kube.Client, addons []*catalog.Addon, show bool) ([]CredentialView, error) {
	var out []CredentialView
	for _, a := range addons {
		for _, c := range a.InitialCredentials() {
			v := CredentialView{Addon: a.Name, Name: c.Name, Username: c.Username, Namespace: c.SecretNamespace(a), Secret: c.Secret, Key: c.PasswordKey}
			sec, err := kc.Typed.CoreV1().Secrets(v.Namespace).Get(ctx, c.Secret, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				out = append(out, v)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read Secret %s/%s of %s: %w", v.Namespace, c.Secret, a.Name, err)
			}
			pw, ok := sec.Data[c.PasswordKey]
			v.Found = ok
			if c.UsernameKey != "" {
				v.Username = string(sec.Data[c.UsernameKey])
			}
			if ok && show {
				v.Password = string(pw)
			}
			out = append(out, v)
		}
	}
	return out, nil
}

func (s *Secrets) print(w io.Writer, views []CredentialView) error {
	if s.Global.Output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"credentials": views})
	}
	if len(views) == 0 {
		_, err := fmt.Fprintln(w, "no installed addon declares credentials")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDON\tNAME\tUSERNAME\tPASSWORD\tSECRET")
	for _, v := range views {
		pw := "******** (--show prints it)"
		switch {
		case !v.Found:
			pw = "not there: not created yet, or deleted after first use"
		case s.Show:
			pw = v.Password
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s/%s (key %s)\n", v.Addon, v.Name, dash(v.Username), pw, v.Namespace, v.Secret, v.Key)
	}
	return tw.Flush()
}
