using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Xunit;

namespace Aimi.Memory.Tests;

/// <summary>The other forms of an irregular verb a question uses, which the English stemmer does not bring together.</summary>
public sealed class WordFormsTests
{
    [Theory]
    [InlineData("What did Maya buy for herself?", "bought")]
    [InlineData("Who taught Maya the cello?", "teach")]
    [InlineData("Where did they fly to in October?", "flew")]
    [InlineData("Which race did Priya win?", "won")]
    [InlineData("Who wrote the letter?", "written")]
    public void A_question_using_one_form_of_an_irregular_verb_adds_the_others(string question, string expected)
    {
        Assert.Contains(expected, WordForms.Expand(MemorySearch.Words(question)));
    }

    [Theory]
    [InlineData("What did Tom do on Saturday?")]
    [InlineData("Where did they go in May?")]
    [InlineData("Что Катя купила в Белграде?")]
    public void A_question_with_no_irregular_verb_or_only_the_most_general_ones_adds_nothing(string question)
    {
        Assert.Empty(WordForms.Expand(MemorySearch.Words(question)));
    }

    [Fact]
    public void A_form_the_question_already_has_is_not_added_again()
    {
        var words = MemorySearch.Words("Did she buy it, or was it bought for her?");

        Assert.Empty(WordForms.Expand(words));
    }
}
