namespace Aimi.Memory.Api.Domain;

/// <summary>
/// The broad words questions ask by ("What pets…", "health problems", "which books", "какие животные") and the everyday words that
/// fall under them, English and Russian. A message rarely says the broad word: it says "greyhound", "chickenpox", "the novel". The
/// search's text half looks for these words too, at <see cref="MemberWeight"/>, so what a question covers can be found by what it is
/// called in conversation. General word lists, not drawn from any one conversation: a category is asked about as a whole.
/// </summary>
public static class Categories
{
    /// <summary>What a word under a category counts beside a word of the question itself.</summary>
    public const double MemberWeight = 0.5;

    /// <summary>At most this many words added to a question: a long question naming several categories stays a question.</summary>
    public const int MaxAdded = 64;

    private sealed record Category(string[] Triggers, string[] Members);

    private static readonly Category[] All =
    [
        new(["pet", "animal", "питом", "животн", "зверь", "зверюш"],
        [
            "dog", "puppy", "cat", "kitten", "hamster", "goldfish", "fish", "rabbit", "bunny", "parrot", "budgie", "bird", "tortoise", "turtle",
            "lizard", "snake", "horse", "pony", "ferret", "gerbil", "chinchilla", "labrador", "retriever", "spaniel", "terrier", "beagle", "poodle",
            "greyhound", "collie", "corgi", "husky", "dachshund", "pug", "bulldog", "whippet", "tabby", "vet", "adopted", "shelter",
            "собака", "пёс", "щенок", "кошка", "кот", "котёнок", "хомяк", "рыбка", "кролик", "попугай", "черепаха", "ящерица", "змея",
            "лошадь", "хорёк", "шиншилла", "ветеринар", "приют",
        ]),
        new(["health", "ill", "illness", "sick", "medical", "injur", "disease", "здоров", "болезн", "болел", "травм", "медицин"],
        [
            "sick", "ill", "flu", "cold", "fever", "cough", "virus", "covid", "infection", "pain", "ache", "hurt", "injury", "injured", "sprain",
            "fracture", "broken", "surgery", "operation", "hospital", "doctor", "physio", "clinic", "diagnosis", "diagnosed", "chickenpox",
            "measles", "asthma", "allergy", "migraine", "tendinitis", "stitches", "antibiotics", "medication", "recovery", "scan",
            "болела", "болел", "простуда", "грипп", "температура", "кашель", "вирус", "ковид", "инфекция", "боль", "болит", "травма",
            "растяжение", "перелом", "операция", "больница", "врач", "доктор", "клиника", "диагноз", "ветрянка", "аллергия", "мигрень",
            "лекарство", "антибиотик", "физиотерапевт",
        ]),
        new(["job", "career", "compan", "employ", "работ", "карьер", "компани"],
        [
            "job", "hired", "offer", "interview", "promoted", "promotion", "position", "role", "company", "firm", "startup", "office", "boss",
            "manager", "colleague", "salary", "contract", "resigned", "quit", "fired", "redundant", "joined",
            "работа", "вакансия", "собеседование", "оффер", "повышение", "должность", "компания", "фирма", "стартап", "офис", "начальник",
            "коллега", "зарплата", "контракт", "уволилась", "уволился", "устроилась", "устроился",
        ]),
        new(["book", "read", "novel", "книг", "чита", "прочита"],
        [
            "book", "novel", "reading", "author", "chapter", "memoir", "biography", "audiobook", "kindle", "library", "thriller", "fiction",
            "книга", "роман", "читаю", "прочитала", "прочитал", "автор", "глава", "биография", "аудиокнига", "библиотека", "детектив",
        ]),
        new(["instrument", "music", "музык", "инструмент"],
        [
            "guitar", "piano", "violin", "cello", "drums", "flute", "clarinet", "saxophone", "trumpet", "ukulele", "bass", "keyboard", "singing",
            "choir", "band", "concert", "song",
            "гитара", "пианино", "фортепиано", "скрипка", "виолончель", "барабаны", "флейта", "кларнет", "саксофон", "труба", "укулеле",
            "петь", "хор", "концерт", "песня",
        ]),
        new(["sport", "exercise", "race", "fitness", "training", "workout", "спорт", "забег", "трениров", "соревнован"],
        [
            "run", "running", "marathon", "half", "10k", "5k", "triathlon", "swim", "swimming", "cycling", "bike", "gym", "yoga", "pilates",
            "climbing", "hiking", "football", "tennis", "race", "parkrun",
            "бег", "пробежка", "марафон", "полумарафон", "триатлон", "плавание", "бассейн", "велосипед", "зал", "йога", "пилатес",
            "скалолазание", "поход", "футбол", "теннис", "забег",
        ]),
        new(["travel", "trip", "holiday", "vacation", "abroad", "journey", "путешеств", "поездк", "отпуск", "отдых"],
        [
            "flew", "flight", "trip", "holiday", "vacation", "hotel", "beach", "airport", "train", "visited", "abroad", "tour", "cruise", "camping",
            "летала", "летал", "рейс", "поездка", "отпуск", "отель", "гостиница", "пляж", "аэропорт", "поезд", "ездила", "ездил", "съездили",
            "тур", "круиз",
        ]),
        new(["food", "cook", "dish", "recipe", "еда", "еду", "готов", "блюд", "рецепт"],
        [
            "cooked", "baked", "bake", "cake", "bread", "soup", "pasta", "curry", "dinner", "lunch", "breakfast", "restaurant", "recipe", "dish",
            "приготовила", "приготовил", "испекла", "торт", "хлеб", "суп", "паста", "ужин", "обед", "завтрак", "ресторан", "рецепт",
        ]),
        new(["buy", "bought", "purchase", "gift", "покуп", "купи", "купл", "подар"],
        [
            "bought", "buy", "ordered", "gift", "present", "purchase", "купила", "купил", "заказала", "заказал", "подарок", "подарила", "подарил",
        ]),
        new(["hobby", "hobbies", "activit", "pastime", "хобби", "увлечен", "увлека"],
        [
            "painting", "drawing", "pottery", "knitting", "gardening", "photography", "baking", "hiking", "camping", "climbing", "dancing",
            "singing", "chess", "yoga", "fishing", "allotment",
            "рисование", "рисую", "керамика", "гончарный", "вязание", "огород", "фотография", "поход", "танцы", "шахматы", "йога", "рыбалка",
        ]),
        new(["art", "artwork", "creative", "искусств", "творчеств"],
        [
            "painting", "painted", "drawing", "sketch", "sketching", "watercolour", "watercolor", "canvas", "sculpture", "pottery", "ceramics",
            "photography", "mural", "gallery", "exhibition", "museum", "calligraphy", "embroidery",
            "рисование", "рисую", "картина", "акварель", "холст", "скульптура", "керамика", "фотография", "галерея", "выставка", "музей",
        ]),
        new(["outdoor", "outdoors", "nature", "природ"],
        [
            "camping", "camped", "tent", "hiking", "hike", "trail", "mountains", "forest", "woods", "lake", "beach", "river", "kayak", "canoe",
            "campfire", "picnic", "park", "garden",
            "поход", "палатка", "горы", "лес", "озеро", "пляж", "река", "байдарка", "костёр", "пикник", "парк", "дача",
        ]),
        new(["event", "celebrat", "festival", "праздн", "мероприят"],
        [
            "festival", "parade", "concert", "conference", "workshop", "party", "wedding", "birthday", "ceremony", "fundraiser", "meetup",
            "march", "fair", "show", "anniversary", "graduation",
            "фестиваль", "парад", "концерт", "конференция", "вечеринка", "свадьба", "день рождения", "церемония", "ярмарка", "юбилей", "выпускной",
        ]),
        new(["relationship", "dating", "boyfriend", "girlfriend", "отношени", "личн"],
        [
            "date", "dating", "boyfriend", "girlfriend", "partner", "engaged", "proposed", "wedding", "married", "ex", "broke",
            "свидание", "парень", "девушка", "расстались", "помолвка", "предложение", "свадьба", "замуж", "женился", "бывший",
        ]),
        new(["study", "course", "learn", "degree", "school", "учил", "учит", "изуча", "курс", "учёб", "учеб"],
        [
            "course", "class", "lesson", "lessons", "tutor", "teacher", "exam", "degree", "university", "app", "practice",
            "курсы", "урок", "уроки", "репетитор", "учитель", "преподаватель", "экзамен", "университет", "приложение", "занятия",
        ]),
    ];

    /// <summary>The words under the categories <paramref name="words"/> (a question's, lower-cased) name, without the question's own.</summary>
    public static IReadOnlyList<string> Expand(IReadOnlyList<string> words)
    {
        var added = new List<string>();
        foreach (var category in All.Where(c => words.Any(word => c.Triggers.Any(trigger => Names(word, trigger)))))
        {
            added.AddRange(category.Members);
        }
        return added.Except(words, StringComparer.Ordinal).Distinct(StringComparer.Ordinal).Take(MaxAdded).ToList();
    }

    /// <summary>
    /// A word names a trigger when it is the trigger or an inflection of it: a Russian trigger is a stem (at most six letters more:
    /// "книги", "животными"), a long English one too with at most four ("companies", "travelling", but not "eventually"); a short
    /// English one takes only its endings ("pets", "reading", but not "ready").
    /// </summary>
    private static bool Names(string word, string trigger)
    {
        if (!word.StartsWith(trigger, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = word.AsSpan(trigger.Length);
        if (trigger[0] is >= '\u0400' and <= '\u04FF')
        {
            return rest.Length <= 6;
        }
        if (trigger.Length >= 5)
        {
            return rest.Length <= 4;
        }
        return rest is "" or "s" or "es" or "ed" or "ing";
    }
}
