using System;
using Microsoft.EntityFrameworkCore.Migrations;
using NpgsqlTypes;

#nullable disable

namespace Aimi.Memory.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class NarrowFullTextTable : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "memory_texts",
                columns: table => new
                {
                    memory_id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    kind = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    is_active = table.Column<bool>(type: "boolean", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    search_vector = table.Column<NpgsqlTsVector>(type: "tsvector", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_memory_texts", x => x.memory_id);
                });

            // Every existing memory's row, from the stems memories already has (before that column goes), then the index over them at once.
            migrationBuilder.Sql(
                """
                INSERT INTO memory_texts (memory_id, user_id, kind, is_active, recorded_at, search_vector)
                SELECT id, user_id, kind, is_active, recorded_at, search_vector FROM memories;
                """);

            // The foreign key after the backfill: checked in one pass instead of once a row.
            migrationBuilder.AddForeignKey(
                name: "fk_memory_texts_memories_memory_id",
                table: "memory_texts",
                column: "memory_id",
                principalTable: "memories",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            // The database keeps memory_texts in step with memories, whoever writes (EF, the cleanup's raw UPDATE, a migration):
            // an insert adds the row, an update of what the row holds rewrites it (the stems only when the content changed),
            // and deleting the memory deletes it through the foreign key.
            migrationBuilder.Sql(
                """
                CREATE FUNCTION memory_texts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'INSERT' THEN
                        INSERT INTO memory_texts (memory_id, user_id, kind, is_active, recorded_at, search_vector)
                        VALUES (NEW.id, NEW.user_id, NEW.kind, NEW.is_active, NEW.recorded_at,
                                to_tsvector('english', NEW.content) || to_tsvector('russian', NEW.content));
                    ELSE
                        UPDATE memory_texts SET user_id = NEW.user_id, kind = NEW.kind, is_active = NEW.is_active, recorded_at = NEW.recorded_at,
                            search_vector = CASE WHEN NEW.content IS DISTINCT FROM OLD.content
                                THEN to_tsvector('english', NEW.content) || to_tsvector('russian', NEW.content) ELSE search_vector END
                        WHERE memory_id = NEW.id;
                    END IF;
                    RETURN NULL;
                END;
                $$;

                CREATE TRIGGER memory_texts_follow AFTER INSERT OR UPDATE OF user_id, kind, is_active, recorded_at, content ON memories
                FOR EACH ROW EXECUTE FUNCTION memory_texts_follow();
                """);

            migrationBuilder.CreateIndex(
                name: "ix_memory_texts_user_id_search_vector",
                table: "memory_texts",
                columns: new[] { "user_id", "search_vector" })
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.DropIndex(
                name: "ix_memories_user_id_search_vector",
                table: "memories");

            migrationBuilder.DropColumn(
                name: "search_vector",
                table: "memories");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER memory_texts_follow ON memories; DROP FUNCTION memory_texts_follow();");

            migrationBuilder.DropTable(
                name: "memory_texts");

            migrationBuilder.AddColumn<NpgsqlTsVector>(
                name: "search_vector",
                table: "memories",
                type: "tsvector",
                nullable: true,
                computedColumnSql: "to_tsvector('english', content) || to_tsvector('russian', content)",
                stored: true);

            migrationBuilder.CreateIndex(
                name: "ix_memories_user_id_search_vector",
                table: "memories",
                columns: new[] { "user_id", "search_vector" })
                .Annotation("Npgsql:IndexMethod", "gin");
        }
    }
}
