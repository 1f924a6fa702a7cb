using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Domain;
using Xunit;

namespace Aimi.Memory.Tests;

public sealed class ExtractionTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.Parse("2026-11-30T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    // English
    [InlineData("I live in Berlin", Predicates.LivesIn, "Berlin")]
    [InlineData("I've just moved to Munich, it's lovely", Predicates.LivesIn, "Munich")]
    [InlineData("I work at Contoso and I love it", Predicates.WorksAt, "Contoso")]
    [InlineData("I got a new job at Fabrikam", Predicates.WorksAt, "Fabrikam")]
    [InlineData("I work as a nurse", Predicates.WorksAs, "nurse")]
    [InlineData("I'm a software engineer", Predicates.WorksAs, "software engineer")]
    [InlineData("I'm preparing for an interview at Contoso", Predicates.PreparingFor, "an interview at Contoso")]
    [InlineData("I really love hiking in the mountains", Predicates.Likes, "hiking in the mountains")]
    [InlineData("I don't like early meetings", Predicates.Dislikes, "early meetings")]
    [InlineData("I hate running in the rain", Predicates.Dislikes, "running in the rain")]
    [InlineData("I'm so tired today", Predicates.Feels, "tired")]
    [InlineData("I feel really stressed", Predicates.Feels, "stressed")]
    [InlineData("My sister Anna is visiting", Predicates.HasRelative, "sister Anna")]
    [InlineData("my mom, Maria, called", Predicates.HasRelative, "mother Maria")]
    [InlineData("My name is Oleg", Predicates.NameIs, "Oleg")]
    [InlineData("I'm married", Predicates.RelationshipStatus, "married")]
    [InlineData("I study at MIT", Predicates.StudiesAt, "MIT")]
    [InlineData("I'm a nurse", Predicates.WorksAs, "nurse")]
    [InlineData("I'm studying law", Predicates.Studies, "law")]
    [InlineData("I study law at Harvard", Predicates.Studies, "law")]
    [InlineData("I'm currently studying computer science", Predicates.Studies, "computer science")]
    [InlineData("I'm a law student", Predicates.Studies, "law")]
    [InlineData("I'm majoring in economics, finally", Predicates.Studies, "economics")]
    [InlineData("I'm allergic to peanuts", Predicates.AllergicTo, "peanuts")]
    [InlineData("I am severely allergic to shellfish, so no paella", Predicates.AllergicTo, "shellfish")]
    [InlineData("I have a peanut allergy", Predicates.AllergicTo, "peanut")]
    [InlineData("I've got a really bad tree nut allergy", Predicates.AllergicTo, "tree nut")]
    [InlineData("I have an allergy to cats", Predicates.AllergicTo, "cats")]
    // Russian
    [InlineData("Я живу в Москве", Predicates.LivesIn, "Москве")]
    [InlineData("я недавно переехала в Казань", Predicates.LivesIn, "Казань")]
    [InlineData("Я работаю в Яндексе и мне нравится", Predicates.WorksAt, "Яндексе")]
    [InlineData("я работаю врачом", Predicates.WorksAs, "врачом")]
    [InlineData("Я готовлюсь к собеседованию в Сбере", Predicates.PreparingFor, "собеседованию в Сбере")]
    [InlineData("Я очень люблю плавание", Predicates.Likes, "плавание")]
    [InlineData("мне нравится джаз", Predicates.Likes, "джаз")]
    [InlineData("Я не люблю рано вставать", Predicates.Dislikes, "рано вставать")]
    [InlineData("Я так устала", Predicates.Feels, "tired")]
    [InlineData("я в стрессе из-за работы", Predicates.Feels, "stressed")]
    [InlineData("Моя сестра Аня приедет", Predicates.HasRelative, "sister Аня")]
    [InlineData("Меня зовут Олег", Predicates.NameIs, "Олег")]
    [InlineData("я замужем", Predicates.RelationshipStatus, "married")]
    [InlineData("я учусь в МГУ", Predicates.StudiesAt, "МГУ")]
    [InlineData("я работаю медсестрой", Predicates.WorksAs, "медсестрой")]
    [InlineData("я врач", Predicates.WorksAs, "врач")]
    [InlineData("Я тоже программист, кстати", Predicates.WorksAs, "программист")]
    [InlineData("я учусь на юриста", Predicates.Studies, "юриста")]
    [InlineData("Я сейчас учусь на медсестру", Predicates.Studies, "медсестру")]
    [InlineData("я изучаю право", Predicates.Studies, "право")]
    [InlineData("я учу английский язык", Predicates.Studies, "английский язык")]
    [InlineData("у меня аллергия на орехи", Predicates.AllergicTo, "орехи")]
    [InlineData("У меня сильная аллергия на кошек", Predicates.AllergicTo, "кошек")]
    public void First_person_statements_become_facts(string sentence, string predicate, string value)
    {
        var facts = LocalExtractor.FactsIn(sentence, Line("m1", sentence)).ToList();

        var fact = Assert.Single(facts, f => f.Predicate == predicate);
        Assert.Equal(value, fact.Value);
        Assert.Equal(Fact.TheUser, fact.Subject);
        Assert.Equal(["m1"], fact.SourceMessageIds);
        Assert.Equal(At, fact.ValidFrom);
    }

    [Theory]
    [InlineData("She lives in Paris")]
    [InlineData("I'm not tired at all")]
    [InlineData("I'd like to book a table")]
    [InlineData("Он работает в Google")]
    [InlineData("What time is it?")]
    [InlineData("my sister is visiting")]
    [InlineData("my sister is tired")]
    [InlineData("Anna lives in Paris")]
    [InlineData("Аня живёт в Париже")]
    // The allergy, study and profession rules run on every sentence: these are near misses.
    [InlineData("I'm not allergic to anything")]
    [InlineData("I'm allergic to nothing")]
    [InlineData("I don't have a peanut allergy")]
    [InlineData("I have a really bad allergy")]
    [InlineData("I have a food allergy")]
    [InlineData("Is he allergic to nuts?")]
    [InlineData("у меня нет аллергии на орехи")]
    [InlineData("у тебя аллергия на орехи?")]
    [InlineData("I study every evening")]
    [InlineData("I study hard")]
    [InlineData("I'm studying the report")]
    [InlineData("I study design patterns")]
    [InlineData("She is studying law")]
    [InlineData("я учусь на курсах")]
    [InlineData("я учусь на третьем курсе")]
    [InlineData("я учусь на отлично")]
    [InlineData("я учусь на права")]
    [InlineData("я изучаю вопрос")]
    [InlineData("я учу детей")]
    [InlineData("я не врач")]
    [InlineData("я к врачу")]
    [InlineData("я врачу позвонила")]
    public void Statements_that_are_not_first_person_facts_give_none(string sentence)
    {
        Assert.Empty(LocalExtractor.FactsIn(sentence, Line("m1", sentence)));
    }

    [Fact]
    public void Studying_for_something_is_preparing_not_a_subject()
    {
        var facts = LocalExtractor.FactsIn("I'm studying for my law exam", Line("m1", "I'm studying for my law exam"));

        Assert.Equal(Predicates.PreparingFor, Assert.Single(facts).Predicate);
    }

    [Fact]
    public void Allergies_and_subjects_are_several_facts_each_one_per_value()
    {
        var extraction = LocalExtractor.Extract(
        [
            Line("1", "I'm allergic to peanuts. I'm also allergic to cats."),
            Line("2", "I have a peanut allergy, by the way. I study law and I'm studying Spanish."),
            Line("3", "I'm allergic to peanuts!"),
        ]);

        Assert.Equal(
            new[] { (Predicates.AllergicTo, "cats"), (Predicates.AllergicTo, "peanut"), (Predicates.AllergicTo, "peanuts"), (Predicates.Studies, "Spanish"), (Predicates.Studies, "law") },
            extraction.Facts.Select(f => (f.Predicate, f.Value)).OrderBy(f => f.Predicate, StringComparer.Ordinal).ThenBy(f => f.Value, StringComparer.Ordinal).ToArray());
        Assert.Equal(["1", "3"], extraction.Facts.Single(f => f.Value == "peanuts").SourceMessageIds);
        Assert.DoesNotContain(Predicates.AllergicTo, Predicates.SingleValued);
        Assert.DoesNotContain(Predicates.Studies, Predicates.SingleValued);
    }

    [Fact]
    public void Another_speakers_statements_are_theirs()
    {
        var line = new ConversationLine("x7", ConversationLine.UserRole, "Anna", "I live in Paris", At);

        var fact = Assert.Single(LocalExtractor.FactsIn(line.Content, line));

        Assert.Equal("Anna", fact.Subject);
        Assert.Equal("Anna: I live in Paris", fact.Content);
    }

    [Theory]
    // English
    [InlineData("My sister Anna lives in Paris", "Anna", Predicates.LivesIn, "Paris")]
    [InlineData("my brother Max works at Siemens", "Max", Predicates.WorksAt, "Siemens")]
    [InlineData("my friend Lisa is a nurse", "Lisa", Predicates.WorksAs, "nurse")]
    [InlineData("my mom Maria loves gardening", "Maria", Predicates.Likes, "gardening")]
    [InlineData("My mom, Maria, really loves gardening", "Maria", Predicates.Likes, "gardening")]
    [InlineData("My best friend Tom works as a pilot", "Tom", Predicates.WorksAs, "pilot")]
    [InlineData("My husband Ben has just moved to Rome for work", "Ben", Predicates.LivesIn, "Rome for work")]
    [InlineData("my daughter Emma studies at Oxford", "Emma", Predicates.StudiesAt, "Oxford")]
    [InlineData("My dad Peter hates flying", "Peter", Predicates.Dislikes, "flying")]
    [InlineData("my friend Lisa never likes horror movies", "Lisa", Predicates.Dislikes, "horror movies")]
    [InlineData("Anna (my sister) moved to Rome", "Anna", Predicates.LivesIn, "Rome")]
    [InlineData("I live in Berlin and my brother Max lives in Hamburg", "Max", Predicates.LivesIn, "Hamburg")]
    // Russian
    [InlineData("моя сестра Аня живёт в Париже", "Аня", Predicates.LivesIn, "Париже")]
    [InlineData("мой брат Макс работает в Сбере", "Макс", Predicates.WorksAt, "Сбере")]
    [InlineData("мой друг Олег работает врачом", "Олег", Predicates.WorksAs, "врачом")]
    [InlineData("моя мама Мария любит сад", "Мария", Predicates.Likes, "сад")]
    [InlineData("Моя подруга Лена недавно переехала в Казань", "Лена", Predicates.LivesIn, "Казань")]
    [InlineData("мой муж Игорь учится в МГУ", "Игорь", Predicates.StudiesAt, "МГУ")]
    [InlineData("мой папа Павел не любит шум", "Павел", Predicates.Dislikes, "шум")]
    [InlineData("Моя дочь Маша обожает рисовать", "Маша", Predicates.Likes, "рисовать")]
    [InlineData("Аня (моя сестра) работает на заводе", "Аня", Predicates.WorksAt, "заводе")]
    public void A_named_relatives_statements_are_theirs(string sentence, string person, string predicate, string value)
    {
        var facts = LocalExtractor.FactsIn(sentence, Line("m1", sentence));

        var fact = Assert.Single(facts, f => f.Predicate == predicate && f.Subject != Fact.TheUser);
        Assert.Equal(person, fact.Subject);
        Assert.Equal(value, fact.Value);
        Assert.StartsWith($"{person}: ", fact.Content, StringComparison.Ordinal);
        Assert.Equal(["m1"], fact.SourceMessageIds);
        Assert.Contains(facts, f => f.Subject == Fact.TheUser && f.Predicate == Predicates.HasRelative && f.Value.EndsWith($" {person}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("My friend Lisa said hello")]
    [InlineData("My sister Anna loves me")]
    [InlineData("Моя сестра Аня любит меня")]
    [InlineData("My sister Anna is visiting")]
    [InlineData("мой друг Олег работает удалённо")]
    public void A_named_relative_without_a_statement_gives_only_the_relation(string sentence)
    {
        var fact = Assert.Single(LocalExtractor.FactsIn(sentence, Line("m1", sentence)));

        Assert.Equal(Predicates.HasRelative, fact.Predicate);
    }

    [Fact]
    public void My_sisters_statement_leaves_my_own_facts_mine()
    {
        var facts = LocalExtractor.FactsIn("My sister Anna lives in Paris", Line("m1", "My sister Anna lives in Paris"));

        Assert.Equal(
            new[] { ("Anna", Predicates.LivesIn, "Paris"), (Fact.TheUser, Predicates.HasRelative, "sister Anna") },
            facts.Select(f => (f.Subject, f.Predicate, f.Value)).OrderBy(f => f.Subject, StringComparer.Ordinal).ToArray());
        Assert.Equal("Anna: My sister Anna lives in Paris", facts.Single(f => f.Subject == "Anna").Content);
    }

    [Fact]
    public void A_relative_named_earlier_is_the_subject_of_later_statements()
    {
        var extraction = LocalExtractor.Extract(
        [
            Line("1", "My sister Anna is visiting next week."),
            Line("2", "Anna lives in Paris now and Anna works at Airbus."),
            Line("3", "Моя подруга Лена приедет. Лена работает учителем."),
            Line("4", "Max lives in Oslo."),
        ]);

        Assert.Equal(
            new[] { ("Anna", Predicates.LivesIn, "Paris", "2"), ("Anna", Predicates.WorksAt, "Airbus", "2"), ("Лена", Predicates.WorksAs, "учителем", "3") },
            extraction.Facts.Where(f => f.Subject != Fact.TheUser).Select(f => (f.Subject, f.Predicate, f.Value, f.SourceMessageIds.Single()))
                .OrderBy(f => f.Subject, StringComparer.Ordinal).ThenBy(f => f.Predicate, StringComparer.Ordinal).ToArray());
        Assert.Equal("Anna: Anna lives in Paris now", extraction.Facts.Single(f => f.Predicate == Predicates.LivesIn).Content);
    }

    [Fact]
    public void The_summary_cites_only_the_lines_its_sentences_came_from()
    {
        var extraction = LocalExtractor.Extract(
        [
            Line("1", "Hi!"),
            new ConversationLine("2", ConversationLine.AssistantRole, null, "Hello, how are you?", At),
            Line("3", "I'm preparing for an interview at Contoso on Friday. I'm a bit stressed."),
            Line("4", "ok"),
            Line("5", "I live in Berlin and I work at Fabrikam."),
            Line("6", "thanks"),
        ]);

        Assert.Equal(["3", "5"], extraction.NarrativeSourceIds);
        Assert.Contains("interview at Contoso", extraction.Narrative, StringComparison.Ordinal);
        Assert.Contains("I live in Berlin", extraction.Narrative, StringComparison.Ordinal);
    }

    [Fact]
    public void Between_people_the_summary_cites_each_speakers_line()
    {
        var extraction = LocalExtractor.Extract(
        [
            new ConversationLine("a1", ConversationLine.UserRole, "Anna", "I moved to Paris last month and I work at Airbus.", At),
            new ConversationLine("b1", ConversationLine.UserRole, "Ben", "nice", At),
            new ConversationLine("a2", ConversationLine.UserRole, "Anna", "ok", At),
            new ConversationLine("b2", ConversationLine.UserRole, "Ben", "I'm a teacher and I love hiking in the mountains.", At),
            new ConversationLine("a3", ConversationLine.UserRole, "Anna", "I want to learn Italian this year.", At),
        ]);

        Assert.Equal(["a1", "b2", "a3"], extraction.NarrativeSourceIds);
        Assert.StartsWith("Anna: I moved to Paris", extraction.Narrative, StringComparison.Ordinal);
        Assert.Contains(extraction.Facts, f => f is { Subject: "Ben", Predicate: Predicates.WorksAs, Value: "teacher" });
    }

    [Fact]
    public void An_empty_extraction_cites_nothing() => Assert.Empty(Extraction.Empty.NarrativeSourceIds);

    [Theory]
    [InlineData("I'm exhausted, I barely slept", Moods.Tired)]
    [InlineData("So stressed about the deadline", Moods.Stressed)]
    [InlineData("I'm so happy, the day was great!", Moods.Positive)]
    [InlineData("Мне грустно и плохо", Moods.Negative)]
    [InlineData("Я ужасно устал", Moods.Tired)]
    [InlineData("Я нервничаю перед экзаменом", Moods.Stressed)]
    [InlineData("Спасибо, всё отлично", Moods.Positive)]
    [InlineData("The meeting is at noon", null)]
    public void Mood_comes_from_the_lexicon(string text, string? mood)
    {
        Assert.Equal(mood, Lexicon.MoodOf([text]));
    }

    [Theory]
    [InlineData("I want to run a marathon next year", "want to run a marathon next year")]
    [InlineData("I'm going to call the bank", "going to call the bank")]
    [InlineData("Я хочу выучить испанский", "хочу выучить испанский")]
    [InlineData("Напомни мне позвонить маме", "Напомни мне позвонить маме")]
    public void Intents_are_found(string sentence, string intent)
    {
        Assert.Contains(LocalExtractor.IntentsIn(sentence), i => i.Contains(intent, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void A_conversation_gives_an_extractive_summary_facts_mood_and_topics()
    {
        var extraction = LocalExtractor.Extract(
        [
            Line("1", "Hi!"),
            new ConversationLine("2", ConversationLine.AssistantRole, null, "Hello, how are you?", At),
            Line("3", "I'm preparing for an interview at Contoso on Friday. I'm a bit stressed."),
            Line("4", "I live in Berlin and I work at Fabrikam."),
            Line("5", "ok"),
        ]);

        Assert.Contains("interview at Contoso", extraction.Narrative, StringComparison.Ordinal);
        Assert.DoesNotContain("Hello, how are you", extraction.Narrative, StringComparison.Ordinal);
        Assert.Equal(
            new[] { (Predicates.Feels, "stressed"), (Predicates.LivesIn, "Berlin"), (Predicates.PreparingFor, "an interview at Contoso on Friday"), (Predicates.WorksAt, "Fabrikam") },
            extraction.Facts.Select(f => (f.Predicate, f.Value)).OrderBy(f => f.Predicate, StringComparer.Ordinal).ToArray());
        Assert.Equal(Moods.Stressed, extraction.Mood);
        Assert.Contains(Topics.Work, extraction.Topics);
    }

    private static ConversationLine Line(string id, string content) => new(id, ConversationLine.UserRole, null, content, At);
}
