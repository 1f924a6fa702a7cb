namespace Aimi.AppHost.Publishing;

/// <summary>The README written beside the generated manifests: how to apply them, what the operator provides, what they enforce.</summary>
public static class KubernetesReadme
{
    public const string Text = """
        # Kubernetes manifests (generated)

        Generated from the AppHost's Aspire model (publish mode, `Aimi.AppHost/Program.cs`) together with Aspire's manifest by
        `dotnet run --project Aimi.AppHost -- --publisher manifest --output-path ../deploy/aspire-manifest.json`; do not edit by
        hand (a test fails when these files differ from a fresh generation). Customise in an overlay of your own that uses
        `overlays/production` or `overlays/development` as its base.

        - `base/`: per service a ConfigMap (`<name>-env`: `OTEL_SERVICE_NAME`, `services__<name>__http__0=http://<name>:8080`),
          a Deployment (port 8080, readiness `/health`, liveness `/alive`, requests/limits), a ClusterIP Service, a NetworkPolicy,
          and for a service that owns a database a Job `<name>-migrate` that runs the same image with `--migrate` (migrate and
          exit). Shared settings are in the `aimi-config` ConfigMap; each workload's connection strings (and `Auth__SigningKey`
          where it validates tokens) come from a Secret of its own, `<name>-secrets`. No Service is a LoadBalancer or NodePort.
        - `overlays/development` (namespace `aimi-dev`): PostgreSQL with pgvector, Redis and RabbitMQ in the cluster,
          `ASPNETCORE_ENVIRONMENT=Development`, `Auth__DevTokens=true` on the gateway (`POST /auth/dev-token`), one replica.
          Nothing is published: reach the gateway with `kubectl -n aimi-dev port-forward svc/gateway 8080:80` and open
          `http://localhost:8080`. Development tokens, and Development's leave to call private addresses (webhooks,
          `AllowPrivateTargets`), must never face a network; the gateway refuses `Auth__DevTokens=true` in any environment but
          Development (and the tests' `Testing`).
        - `overlays/production` (namespace `aimi`): infrastructure is external (connection strings in the Secrets), a TLS Ingress
          in front of the gateway, `Auth__DevTokens=false`, two replicas per service, PodDisruptionBudgets, larger requests/limits.

        ## What the operator provides (production)

        Nothing secret or site-specific is committed. Copy each `*.env.example` of `overlays/production` to the same name without
        `.example` (git-ignored) and fill it in; `kubectl apply` fails while a `<placeholder>` is left in a host name or an address range.

        | file | what |
        |---|---|
        | `ingress.env` | `host`: the public host name (DNS points it at the ingress controller); `cluster-issuer`: the cert-manager ClusterIssuer that issues its certificate into the Secret `aimi-tls` (cert-manager must be installed; the Ingress carries `cert-manager.io/cluster-issuer`); `ingress-class` (default `nginx`: the annotations are ingress-nginx's) and `ingress-namespace`, the namespace of the controller's pods (default `ingress-nginx`), the only pods that may reach the gateway. Kustomize replaces these into the Ingress and the gateway's NetworkPolicy; they are not deployed. |
        | `egress.env` | the address ranges (CIDR) production's pods may connect to outside the cluster: `postgres-cidr`, `redis-cidr`, `rabbitmq-cidr` (the servers of the connection strings, on 5432, 6380 and 5672), `identity-provider-cidr` (the OpenID Connect provider, on 443, for the gateway and every service: they fetch its signing keys) and `model-endpoint-cidr` (`AI__Chat__Endpoint`, on 443, for `chat-api` and `memory-api`; with the local model a range that holds nothing, such as `192.0.2.0/32`). Kustomize replaces them into the egress NetworkPolicies; they are not deployed. A provider or model behind a CDN has many addresses: name its published ranges, or widen the policy in an overlay of your own. |
        | `config.env` | `Auth__Authority` (the OpenID Connect issuer; its discovery document is fetched over HTTPS) and `Auth__Audience` (the API's audience in access tokens), `OTEL_EXPORTER_OTLP_ENDPOINT` |
        | `web.env` | the web client's sign-in: `Web__Oidc__Authority` (the same issuer) and `Web__Oidc__ClientId` (a public client with the authorization code flow and PKCE, redirect URI `https://<host>/`). Outside Development the web host does not start without an authority, so the page never offers development sign-in. |
        | `gateway.env` | `Gateway__TrustedProxies__0`: the ingress controller's pod network (CIDR; more as `__1`, …). Only requests from there have `X-Forwarded-For`/`X-Forwarded-Proto` believed, so anonymous rate limits go per client and HTTPS is recognised; empty trusts nobody. For real client addresses the controller itself must see them (its Service with `externalTrafficPolicy: Local`, or the PROXY protocol from the load balancer). |
        | `secrets/<service>.env` | per service its own credentials: a PostgreSQL role that owns its database and nothing else, a RabbitMQ user of its own (named as the service, with rights on the virtual host the services share), Redis's password for `chat-api`. pgvector is not a trusted extension: have a superuser run `CREATE EXTENSION vector` in `memorydb` before the first migration. `Auth__SigningKey` only for symmetric tokens without `Auth__Authority`: a service with both refuses to start outside Development. |

        ## What the manifests enforce

        - **One way in.** The Ingress terminates TLS (ingress-nginx redirects HTTP to HTTPS) and is the only route to the gateway;
          the gateway answers HTTPS requests with `Strict-Transport-Security: max-age=31536000`.
        - **Network policies.** Ingress is denied by default in the namespace. The gateway admits only the ingress controller's
          namespace; each service only its callers (the gateway; `goals-api` and `memory-api` also `chat-api`); in development
          PostgreSQL only the services that own a database and their migration jobs, Redis only `chat-api`, RabbitMQ only the
          four services. Kubelet probes and `kubectl port-forward` are not subject to them.
        - **Egress policies.** Egress is denied by default too. Every pod may ask the cluster DNS (`kube-dns` in `kube-system`, port
          53) and send telemetry (port 4317, wherever the collector is); each project reaches the projects it calls (the gateway
          every service and the web host, `chat-api` `goals-api` and `memory-api`), each service and its migration job their
          database, `chat-api` Redis, the four services RabbitMQ (in development the in-cluster pods, in production the ranges of
          `egress.env`); in production the gateway and every service the identity provider, `chat-api` and `memory-api` the
          model endpoint. `notifications-api` alone reaches the public internet, on 80 and 443 (webhooks, Web Push) and 25, 465
          and 587 (SMTP), with private, loopback, link-local, shared and translated ranges excepted (`10.0.0.0/8`,
          `169.254.0.0/16`, `fc00::/7`, `64:ff9b::/96`, …); its send-time guard still checks each connected address.
        - **Secrets per workload.** The web client's host and the migration jobs get no signing key; a migration job sees only its
          service's connection strings; in development each service has its own PostgreSQL role and password, owning its database
          and refused by the others (the `postgres-init` script creates them, and pgvector in each database, on the volume's first
          start; RabbitMQ there gives each service a user of its own, created by the `rabbitmq-users` script when the node starts,
          the default user being the operator's).
        - **Pod security.** Every pod of ours runs as the non-root user 1654 with a read-only root filesystem (an `emptyDir` at
          `/tmp`), `allowPrivilegeEscalation: false`, all capabilities dropped, the `RuntimeDefault` seccomp profile and no
          service-account token. The production namespace enforces the `restricted` Pod Security Standard; the development
          namespace enforces `baseline` (and warns against `restricted`), because the PostgreSQL and RabbitMQ images start as
          root to prepare their data folders.

        ## Secrets for development

        Each overlay generates a Secret per workload from `secrets/<name>.env`, and development one more, `aimi-infrastructure`
        (the servers' and the database roles' passwords), from `secrets/infrastructure.env`. One random value per placeholder,
        the same in every file:

        ```sh
        cd deploy/kubernetes/overlays/development/secrets
        args=""
        for placeholder in $(grep -oh '<[a-z-]*>' *.env.example | sort -u); do
          args="$args -e s/$placeholder/$(openssl rand -hex 24)/g"
        done
        for example in *.env.example; do sed $args "$example" > "${example%.example}"; done
        ```

        ## Images

        The manifests use `aimi/<name>:latest`. Build them with the SDK (`dotnet publish services/Goals/Aimi.Goals.Api.csproj
        -t:PublishContainer -p:ContainerRepository=aimi/goals-api`, likewise for each service) and point the overlay at your
        registry with `kustomize edit set image aimi/goals-api=registry.example.com/aimi/goals-api:1.0.0`.

        ## Order

        Services do not wait for their migration Job; apply in two steps so the schema is in place first:

        ```sh
        kubectl apply -k deploy/kubernetes/overlays/production -l 'app.kubernetes.io/component!=service'
        kubectl -n aimi wait --for=condition=complete job -l app.kubernetes.io/component=migration --timeout=10m
        kubectl apply -k deploy/kubernetes/overlays/production
        ```

        Jobs are immutable: before deploying a new image, `kubectl -n aimi delete job -l app.kubernetes.io/component=migration`
        (finished Jobs are also removed after a day). In development the services also migrate at start-up.

        """;
}
