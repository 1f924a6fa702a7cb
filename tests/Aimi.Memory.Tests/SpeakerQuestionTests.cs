using Aimi.Memory.Api.Data;
using Xunit;

namespace Aimi.Memory.Tests;

/// <summary>Which speaker a question is about: what that speaker said gains a little in the search's fusion.</summary>
public sealed class SpeakerQuestionTests
{
    private static readonly string[] Speakers = ["Tom", "Maya", "Ольга", "Катя"];
    private static readonly string[] ThreeSpeakers = ["Tom", "Maya", "Ольга"];

    [Theory]
    [InlineData("What was Tom researching?", "Tom")]
    [InlineData("Which farewell gift did Abílio give Maya?", "Maya")]
    [InlineData("What did tom's sister say?", "Tom")]
    [InlineData("Кем работает муж Ольги?", "Ольга")]
    [InlineData("Что Ольгой было сказано про Казань?", "Ольга")]
    [InlineData("Где Катя учит сербский?", "Катя")]
    public void A_question_naming_one_speaker_is_about_that_speaker(string question, string speaker) =>
        Assert.Equal(speaker, MemorySearch.NamedSpeaker(MemorySearch.Words(question), Speakers));

    [Theory]
    [InlineData("What did Tom and Maya cook?")]
    [InlineData("Where did they go on holiday?")]
    [InlineData("Who is Tomas?")]
    [InlineData("Что сказала Оля?")]
    public void A_question_naming_both_speakers_or_neither_favours_no_one(string question) =>
        Assert.Null(MemorySearch.NamedSpeaker(MemorySearch.Words(question), ThreeSpeakers));
}
