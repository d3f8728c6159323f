{{/* "true" when the UIs are paths of the one host <domain>. */}}
{{- define "keycloak.pathRouting" -}}
{{- eq (toString .Values.pathRouting) "true" -}}
{{- end -}}

{{/* A UI's external URL, no trailing slash. Input: dict root, path, host. */}}
{{- define "keycloak.url" -}}
{{- if not .root.Values.domain -}}{{ fail "keycloak: domain is required: OIDC redirects and the issuer need the platform's host (set domain in config.yaml, or switch keycloak, backstage and argo-workflows off in its addons section)" }}{{- end -}}
{{- if eq (include "keycloak.pathRouting" .root) "true" -}}
https://{{ .root.Values.domain }}{{ .path }}
{{- else -}}
https://{{ .host }}.{{ .root.Values.domain }}
{{- end -}}
{{- end -}}

{{/* Keycloak's own URL: its hostname setting and the issuer's base. */}}
{{- define "keycloak.selfURL" -}}
{{- include "keycloak.url" (dict "root" . "path" .Values.keycloak.path "host" .Values.keycloak.host) -}}
{{- end -}}

{{/* The groups claim on a client's tokens (group names, not paths). A
mapper per client rather than a realm client scope: a realm import that
lists clientScopes loses Keycloak's built-in ones. */}}
{{- define "keycloak.groupsMapper" -}}
name: groups
protocol: openid-connect
protocolMapper: oidc-group-membership-mapper
config:
  claim.name: groups
  full.path: "false"
  id.token.claim: "true"
  access.token.claim: "true"
  userinfo.token.claim: "true"
{{- end -}}

{{- define "keycloak.labels" -}}
app.kubernetes.io/part-of: keycloak
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The placeholder (and Secret key) of a user's password: USER1_PASSWORD. */}}
{{- define "keycloak.userKey" -}}
{{- printf "%s_PASSWORD" (regexReplaceAll "[^A-Z0-9]" (upper .) "_") -}}
{{- end -}}
