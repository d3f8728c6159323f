{{/* "true" when each UI is a path of the one host <domain>. */}}
{{- define "platform-gateway.pathRouting" -}}
{{- eq (toString .Values.pathRouting) "true" -}}
{{- end -}}

{{/* The issuer of the Gateway's certificate: HTTP-01 for the one host,
DNS-01 for the wildcard of subdomain routing. */}}
{{- define "platform-gateway.issuer" -}}
{{- if eq (include "platform-gateway.pathRouting" .) "true" -}}letsencrypt-http01{{- else -}}letsencrypt-dns01{{- end -}}
{{- end -}}

{{/* The hostname the HTTPS listener serves. */}}
{{- define "platform-gateway.listenerHost" -}}
{{- if eq (include "platform-gateway.pathRouting" .) "true" -}}{{ .Values.domain }}{{- else -}}*.{{ .Values.domain }}{{- end -}}
{{- end -}}
