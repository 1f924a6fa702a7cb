namespace Aimi.Notifications.Api.Endpoints;

public static class NotificationsApi
{
    public static IEndpointRouteBuilder MapNotificationEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/notifications").WithTags("Notifications");
        return app;
    }
}
