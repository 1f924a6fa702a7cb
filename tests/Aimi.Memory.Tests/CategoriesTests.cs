using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Xunit;

namespace Aimi.Memory.Tests;

/// <summary>The words under a category a question names, which the search's text half looks for beside the question's own.</summary>
public sealed class CategoriesTests
{
    [Theory]
    [InlineData("What pets does Tom have?", "greyhound")]
    [InlineData("Which animals did they adopt?", "kitten")]
    [InlineData("What health problems did Olga have?", "chickenpox")]
    [InlineData("Which books did Jonas read this year?", "novel")]
    [InlineData("Какие животные появились у Ольги?", "щенок")]
    [InlineData("Какие проблемы со здоровьем были у сына?", "ветрянка")]
    [InlineData("Как менялась работа Кати?", "собеседование")]
    [InlineData("What kind of art does Caroline make?", "pottery")]
    [InlineData("Which companies did Jonas work for?", "hired")]
    [InlineData("What festivals and other events did they go to?", "parade")]
    public void A_question_naming_a_category_adds_the_words_under_it(string question, string expected)
    {
        var added = Categories.Expand(MemorySearch.Words(question));

        Assert.Contains(expected, added);
    }

    [Theory]
    [InlineData("Where did Maya travel for the conference?")]
    [InlineData("What did the doctor say about the wrist?")]
    public void Words_already_in_the_question_are_not_added_twice(string question)
    {
        var words = MemorySearch.Words(question);

        var added = Categories.Expand(words);

        Assert.Empty(added.Intersect(words));
        Assert.Equal(added.Distinct().Count(), added.Count);
        Assert.True(added.Count <= Categories.MaxAdded);
    }

    [Theory]
    [InlineData("When did Tom start at the new surgery?")]
    [InlineData("Как зовут мужа Ольги?")]
    [InlineData("ready steady go")]
    [InlineData("Did it eventually work out with the landlord?")]
    public void A_question_naming_no_category_adds_nothing(string question)
    {
        Assert.Empty(Categories.Expand(MemorySearch.Words(question)));
    }
}
