using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aimi.Memory.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class EpisodesAndResolvedTime : Migration
    {
        private const string FollowWithContext =
            """
            CREATE OR REPLACE FUNCTION memory_texts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                said text := NEW.content || coalesce(' ' || NEW.context, '');
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO memory_texts (memory_id, user_id, kind, is_active, recorded_at, search_vector)
                    VALUES (NEW.id, NEW.user_id, NEW.kind, NEW.is_active, NEW.recorded_at, to_tsvector('english', said) || to_tsvector('russian', said));
                ELSE
                    UPDATE memory_texts SET user_id = NEW.user_id, kind = NEW.kind, is_active = NEW.is_active, recorded_at = NEW.recorded_at,
                        search_vector = CASE WHEN NEW.content IS DISTINCT FROM OLD.content OR NEW.context IS DISTINCT FROM OLD.context
                            THEN to_tsvector('english', said) || to_tsvector('russian', said) ELSE search_vector END
                    WHERE memory_id = NEW.id;
                END IF;
                RETURN NULL;
            END;
            $$;

            DROP TRIGGER memory_texts_follow ON memories;
            CREATE TRIGGER memory_texts_follow AFTER INSERT OR UPDATE OF user_id, kind, is_active, recorded_at, content, context ON memories
            FOR EACH ROW EXECUTE FUNCTION memory_texts_follow();
            """;

        private const string FollowWithoutContext =
            """
            CREATE OR REPLACE FUNCTION memory_texts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
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

            DROP TRIGGER memory_texts_follow ON memories;
            CREATE TRIGGER memory_texts_follow AFTER INSERT OR UPDATE OF user_id, kind, is_active, recorded_at, content ON memories
            FOR EACH ROW EXECUTE FUNCTION memory_texts_follow();
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "context",
                table: "memories",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "occurred_from",
                table: "memories",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "occurred_to",
                table: "memories",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "role",
                table: "memories",
                type: "character varying(20)",
                maxLength: 20,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "speaker",
                table: "memories",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_memories_superseded_facts",
                table: "memories",
                column: "user_id",
                filter: "kind = 'fact' AND superseded_by IS NOT NULL");

            // A message is one episode (by user, session or import, and message id); EF cannot model an index on an array column.
            migrationBuilder.Sql(
                "CREATE UNIQUE INDEX ux_memories_episode_source ON memories (user_id, source_session_id, source_message_ids) WHERE kind = 'episode'");

            // An episode is found with the message it answers: its stems are those of its words and of its context.
            migrationBuilder.Sql(FollowWithContext);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(FollowWithoutContext);
            migrationBuilder.Sql("DROP INDEX ux_memories_episode_source");
            migrationBuilder.Sql("DELETE FROM memories WHERE kind = 'episode'");

            migrationBuilder.DropIndex(
                name: "ix_memories_superseded_facts",
                table: "memories");

            migrationBuilder.DropColumn(
                name: "context",
                table: "memories");

            migrationBuilder.DropColumn(
                name: "occurred_from",
                table: "memories");

            migrationBuilder.DropColumn(
                name: "occurred_to",
                table: "memories");

            migrationBuilder.DropColumn(
                name: "role",
                table: "memories");

            migrationBuilder.DropColumn(
                name: "speaker",
                table: "memories");
        }
    }
}
