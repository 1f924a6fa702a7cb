namespace Aimi.AppHost.Publishing;

/// <summary>The README written beside the generated manifests: how to apply them and where the secrets come from.</summary>
public static class KubernetesReadme
{
    public const string Text = """
        # Kubernetes manifests (generated)

        Generated from the AppHost's Aspire model (publish mode, `Aimi.AppHost/Program.cs`) together with Aspire's manifest by
        `dotnet run --project Aimi.AppHost -- --publisher manifest --output-path ../deploy/aspire-manifest.json`; do not edit by
        hand (a test fails when these files differ from a fresh generation). Customise in an overlay of your own that uses
        `overlays/production` or `overlays/development` as its base.

        - `base/`: per service a ConfigMap (`<name>-env`: `OTEL_SERVICE_NAME`, `services__<name>__http__0=http://<name>:8080`),
          a Deployment (port 8080, readiness `/health`, liveness `/alive`, requests/limits, non-root), a Service, and for a
          service that owns a database a Job `<name>-migrate` that runs the same image with `--migrate` (migrate and exit).
          Shared settings are in the `aimi-config` ConfigMap; connection strings and `Auth__SigningKey` come from the
          Secret `aimi-secrets` (`ConnectionStrings__<resource>` keys). The gateway's Service is a LoadBalancer on port 80.
        - `overlays/development` (namespace `aimi-dev`): PostgreSQL with pgvector, Redis and RabbitMQ in the cluster,
          `ASPNETCORE_ENVIRONMENT=Development`, `Auth__DevTokens=true` on the gateway (`POST /auth/dev-token`), one replica.
        - `overlays/production` (namespace `aimi`): infrastructure is external (connection strings in the Secret),
          `Auth__DevTokens=false`, two replicas per service, PodDisruptionBudgets, larger requests/limits.

        ## Secrets

        Nothing secret is committed. Each overlay generates `aimi-secrets` from `secrets.env` (git-ignored), which you
        write from `secrets.env.example`; production also reads `config.env` (from `config.env.example`: `Auth__Authority`,
        `Auth__Audience`, `OTEL_EXPORTER_OTLP_ENDPOINT`). For development, random passwords:

        ```sh
        cd deploy/kubernetes/overlays/development
        sed -e "s/<postgres-password>/$(openssl rand -hex 16)/g" -e "s/<redis-password>/$(openssl rand -hex 16)/g" \
            -e "s/<rabbitmq-password>/$(openssl rand -hex 16)/g" -e "s/<signing-key>/$(openssl rand -hex 32)/g" \
            secrets.env.example > secrets.env
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
