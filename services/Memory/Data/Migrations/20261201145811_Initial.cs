using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using NpgsqlTypes;
using Pgvector;

#nullable disable

namespace Aimi.Memory.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:vector", ",,");

            migrationBuilder.CreateTable(
                name: "conversation_imports",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    conversation_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    status = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    transcript = table.Column<string>(type: "jsonb", nullable: false),
                    message_count = table.Column<int>(type: "integer", nullable: false),
                    error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    processed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_conversation_imports", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "graph_nodes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    kind = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    key = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    label = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    external_id = table.Column<Guid>(type: "uuid", nullable: true),
                    status = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: true),
                    source_version = table.Column<int>(type: "integer", nullable: false),
                    feedback_requested = table.Column<bool>(type: "boolean", nullable: false),
                    weight = table.Column<double>(type: "double precision", nullable: false),
                    mentions = table.Column<int>(type: "integer", nullable: false),
                    last_seen_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    decayed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_graph_nodes", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "memories",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    kind = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    content = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    embedding = table.Column<Vector>(type: "vector(384)", nullable: false),
                    is_active = table.Column<bool>(type: "boolean", nullable: false),
                    valid_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    valid_to = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_seen_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    superseded_by = table.Column<Guid>(type: "uuid", nullable: true),
                    source_session_id = table.Column<Guid>(type: "uuid", nullable: true),
                    source_message_ids = table.Column<List<string>>(type: "text[]", nullable: false),
                    reinforcement_count = table.Column<int>(type: "integer", nullable: false),
                    subject = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    predicate = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    value = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    graph_node_id = table.Column<Guid>(type: "uuid", nullable: true),
                    search_vector = table.Column<NpgsqlTsVector>(type: "tsvector", nullable: true, computedColumnSql: "to_tsvector('english', content) || to_tsvector('russian', content)", stored: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_memories", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "memory_stats",
                columns: table => new
                {
                    user_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    active_memories = table.Column<int>(type: "integer", nullable: false),
                    inactive_memories = table.Column<int>(type: "integer", nullable: false),
                    summaries = table.Column<int>(type: "integer", nullable: false),
                    nodes = table.Column<int>(type: "integer", nullable: false),
                    edges = table.Column<int>(type: "integer", nullable: false),
                    goals = table.Column<string>(type: "jsonb", nullable: false),
                    reminder_response_rate = table.Column<double>(type: "double precision", nullable: true),
                    computed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_memory_stats", x => x.user_id);
                });

            migrationBuilder.CreateTable(
                name: "outbox_messages",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    message_type = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    payload = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    sent_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    last_error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    trace_parent = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    trace_state = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbox_messages", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "processed_messages",
                columns: table => new
                {
                    consumer = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    message_id = table.Column<Guid>(type: "uuid", nullable: false),
                    processed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_processed_messages", x => new { x.consumer, x.message_id });
                });

            migrationBuilder.CreateTable(
                name: "summaries",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    session_id = table.Column<Guid>(type: "uuid", nullable: false),
                    narrative = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    facts = table.Column<List<string>>(type: "text[]", nullable: false),
                    intents = table.Column<List<string>>(type: "text[]", nullable: false),
                    mood = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: true),
                    topics = table.Column<List<string>>(type: "text[]", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_summaries", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "user_state",
                columns: table => new
                {
                    user_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    last_summary = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    last_session_id = table.Column<Guid>(type: "uuid", nullable: true),
                    mood_trend = table.Column<List<string>>(type: "text[]", nullable: false),
                    active_goals = table.Column<string>(type: "jsonb", nullable: false),
                    preferences = table.Column<List<string>>(type: "text[]", nullable: false),
                    pending_items = table.Column<string>(type: "jsonb", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_user_state", x => x.user_id);
                });

            migrationBuilder.CreateTable(
                name: "graph_edges",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    from_node_id = table.Column<Guid>(type: "uuid", nullable: false),
                    to_node_id = table.Column<Guid>(type: "uuid", nullable: false),
                    label = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    weight = table.Column<double>(type: "double precision", nullable: false),
                    last_seen_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    decayed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_graph_edges", x => x.id);
                    table.ForeignKey(
                        name: "fk_graph_edges_graph_nodes_from_node_id",
                        column: x => x.from_node_id,
                        principalTable: "graph_nodes",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_graph_edges_graph_nodes_to_node_id",
                        column: x => x.to_node_id,
                        principalTable: "graph_nodes",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_conversation_imports_queued",
                table: "conversation_imports",
                column: "created_at",
                filter: "status = 'queued'");

            migrationBuilder.CreateIndex(
                name: "ix_conversation_imports_user_id_conversation_id",
                table: "conversation_imports",
                columns: new[] { "user_id", "conversation_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_graph_edges_from_node_id",
                table: "graph_edges",
                column: "from_node_id");

            migrationBuilder.CreateIndex(
                name: "ix_graph_edges_to_node_id",
                table: "graph_edges",
                column: "to_node_id");

            migrationBuilder.CreateIndex(
                name: "ix_graph_edges_user_id_from_node_id_to_node_id_label",
                table: "graph_edges",
                columns: new[] { "user_id", "from_node_id", "to_node_id", "label" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_graph_nodes_user_id_kind_key",
                table: "graph_nodes",
                columns: new[] { "user_id", "kind", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_memories_embedding_hnsw",
                table: "memories",
                column: "embedding")
                .Annotation("Npgsql:IndexMethod", "hnsw")
                .Annotation("Npgsql:IndexOperators", new[] { "vector_cosine_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_memories_search_vector",
                table: "memories",
                column: "search_vector")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "ix_memories_user_id_is_active_kind",
                table: "memories",
                columns: new[] { "user_id", "is_active", "kind" });

            migrationBuilder.CreateIndex(
                name: "ix_memories_user_id_recorded_at",
                table: "memories",
                columns: new[] { "user_id", "recorded_at" });

            migrationBuilder.CreateIndex(
                name: "ix_memories_user_id_subject_predicate",
                table: "memories",
                columns: new[] { "user_id", "subject", "predicate" },
                filter: "is_active AND predicate IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_unsent",
                table: "outbox_messages",
                column: "created_at",
                filter: "sent_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_processed_messages_processed_at",
                table: "processed_messages",
                column: "processed_at");

            migrationBuilder.CreateIndex(
                name: "ix_summaries_user_id_ended_at",
                table: "summaries",
                columns: new[] { "user_id", "ended_at" });

            migrationBuilder.CreateIndex(
                name: "ix_summaries_user_id_session_id",
                table: "summaries",
                columns: new[] { "user_id", "session_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "conversation_imports");

            migrationBuilder.DropTable(
                name: "graph_edges");

            migrationBuilder.DropTable(
                name: "memories");

            migrationBuilder.DropTable(
                name: "memory_stats");

            migrationBuilder.DropTable(
                name: "outbox_messages");

            migrationBuilder.DropTable(
                name: "processed_messages");

            migrationBuilder.DropTable(
                name: "summaries");

            migrationBuilder.DropTable(
                name: "user_state");

            migrationBuilder.DropTable(
                name: "graph_nodes");
        }
    }
}
