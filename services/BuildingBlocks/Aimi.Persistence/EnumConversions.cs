using Aimi.ServiceDefaults;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Aimi.Persistence;

public static class EnumConversions
{
    /// <summary>Stores an enum as the snake_case word the API uses (<c>pending_confirmation</c>), so tables read like the design note.</summary>
    public static PropertyBuilder<TEnum> HasSnakeCaseConversion<TEnum>(this PropertyBuilder<TEnum> property) where TEnum : struct, Enum =>
        property.HasConversion(v => WireName.Of(v), v => WireName.Parse<TEnum>(v)).HasMaxLength(30);

    public static PropertyBuilder<TEnum?> HasSnakeCaseConversion<TEnum>(this PropertyBuilder<TEnum?> property) where TEnum : struct, Enum =>
        property.HasConversion(v => v == null ? null : WireName.Of(v.Value), v => v == null ? null : WireName.Parse<TEnum>(v)).HasMaxLength(30);
}
