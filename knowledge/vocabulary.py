"""Vocabularies of the help center's domain: stop words, synonyms, slang, Latin spellings.

The data describes how people name the things of a cloud CRM / project-management / finance
product (deals, funnels, tasks, invoices, mail, telephony, API...), not particular questions.
Every entry is plain words; `knowledge.textproc` normalises them exactly as it normalises queries
and documents, so inflected forms, ё and case need not be listed.
"""

from __future__ import annotations

# Function words and chat filler that carry no topic. Applied to queries and documents alike.
_STOP_TEXT = """
    а без более бы был была были было быть в вам вас ваш ваша ваше ваши весь во вот все всё всего всех вы
    где да даже для до его ее её ей ему если есть еще ещё же за здесь и из или им их к как какая какие
    каким какой каких ко когда кто куда ли либо меня мне мной мы на над нам нас наш наша наше наши не
    него нее неё нет ни них но ну о об однако он она они оно от очень по под при про с сам сама сами
    само свой своя своё свое свои со так также такой там тем то того тоже той только том ту тут у уже
    хотя чего чей чем что чтобы чтоб чьё эта эти это этот этой этом я ты тебя тебе тобой вы ей-богу
    будет будут может могу можем можно нужно надо нужна нужен нужны хочу хотим хочется хотелось
    пожалуйста подскажите подскажи помогите помоги скажите скажи спасибо благодарю привет здравствуйте
    добрый доброго день вечер утро коллеги ребята вообще вроде типа просто вот вдруг чтото что-то
    какой-то какая-то какие-то какието как-то кто-то где-то почему зачем сколько который которая которые
    которое которых вопрос вопросы подсказать сделать делать пишет пишут пишется есть ли
    нем ним ней нему нею ними мой моя мое моё мои моего моей моих мою твой твоя твои ваше нашего нашей
    нашем нашу вашего вашей вашем вашу его её ее свою своего своей своих своим своем своём себе себя
    собой сейчас теперь потом тогда раньше опять снова никак никакой никакие ничего ничто всегда
    какието какую каком какому этого этому этим этих эту такие такая такое таких типо плиз плз
    аспро aspro клауд клоуд cloud aspro.cloud
    сегодня вчера позавчера недавно кстати короче блин реально честно например ситуация
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())

# Groups of words that name one thing of the domain. A query word from a group also searches the
# other members (with a lower weight than the word itself). Multi-word members are phrases; their
# words are searched as alternatives of the one query word.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    # product modules and objects
    ("crm", "црм", "срм"),
    ("сделка", "лид", "deal"),
    ("воронка", "pipeline", "funnel", "пайплайн"),
    ("этап", "стадия", "колонка", "статус"),
    ("контрагент", "клиент", "заказчик", "покупатель", "customer", "дилер", "партнер", "дистрибьютор"),
    ("контакт", "contact"),
    ("компания", "организация", "юрлицо", "фирма"),
    ("задача", "таск", "task", "поручение"),
    ("подзадача", "сабтаск", "subtask", "декомпозиция", "разбить", "подпункт"),
    ("чеклист", "checklist", "чек-лист"),
    ("проект", "project"),
    ("agile", "аджайл", "эджайл", "scrum", "спринт", "sprint", "бэклог", "backlog"),
    ("канбан", "kanban", "доска"),
    ("календарь", "calendar"),
    ("событие", "встреча", "мероприятие", "созвон", "event"),
    ("тайм-трекер", "таймтрекер", "таймер", "трекер", "timetracker", "трекинг", "таймлог", "timelog"),
    ("ставка", "стоимость часа", "rate"),
    ("отчет", "report", "аналитика", "статистика", "отчетность"),
    ("конверсия", "conversion"),
    ("бизнес-процесс", "бп", "workflow"),
    ("согласование", "утверждение", "approval"),
    ("автодействие", "автоматизация", "триггер", "automation", "автоматически", "автоматом"),
    ("шаблон", "заготовка", "template", "типовой", "болванка"),
    ("повторяющийся", "регулярный", "периодический", "повторение", "recurring", "ежедневно", "еженедельно",
     "ежемесячно", "ежегодно"),
    ("срок", "дедлайн", "deadline"),
    ("просроченный", "просрочка", "overdue"),
    ("наблюдатель", "watcher"),
    ("соисполнитель", "помощник"),
    ("ответственный", "исполнитель", "assignee"),
    ("файл", "вложение", "attachment", "аттач", "макет"),
    ("корзина", "trash"),
    ("документ", "document", "док"),
    ("договор", "contract", "контракт"),
    ("печатный", "печать"),
    ("база знаний", "wiki", "вики", "инструкция", "регламент", "knowledge base"),
    ("лента", "feed", "новость", "объявление"),
    ("чат", "chat", "переписка", "мессенджер", "messenger"),
    ("комментарий", "коммент", "comment"),
    ("упоминание", "mention", "упомянуть"),
    ("поле", "field", "атрибут"),
    ("пользовательский", "кастомный", "custom", "дополнительный", "собственный"),
    ("обязательный", "required"),
    ("карточка", "card"),
    ("дубль", "дубликат", "duplicate", "двойник"),
    ("объединить", "объединение", "merge"),
    ("товар", "продукт", "product", "номенклатура", "позиция", "услуга"),
    ("каталог", "прайс", "прайс-лист", "catalog"),
    ("цена", "стоимость", "price"),
    ("бюджет", "budget", "бюджетирование"),
    ("финансы", "finance", "финансовый"),
    ("счет", "инвойс", "invoice", "счёт"),
    ("счет-фактура", "сф", "счетфактура"),
    ("предложение", "кп", "коммерческое предложение", "offer"),
    ("акт", "упд"),
    ("акт сверки", "сверка"),
    ("платеж", "оплата", "payment", "поступление"),
    ("выписка", "банк", "bank"),
    ("подотчетный", "подотчет", "индивидуальный счет"),
    ("ндс", "vat", "налог"),
    ("план-факт", "план", "plan"),
    ("тариф", "подписка", "лицензия", "license", "subscription"),
    ("продлить", "продление", "оплатить", "renew"),
    ("пробный", "триал", "trial", "бесплатный", "тестовый", "демо"),
    ("только чтение", "read-only", "readonly", "заблокирован", "блокировка", "заморозка"),
    ("проигрыш", "проигранный", "отказаться", "слив", "потерянный", "lost"),
    ("расход", "затраты", "траты", "потратить", "издержки", "expense"),
    ("доход", "выручка", "прибыль", "заработать", "income"),
    ("продажа", "покупка", "купить", "продать", "sale"),
    # people and access
    ("пользователь", "юзер", "user", "сотрудник", "работник", "коллега", "участник", "новичок", "стажер"),
    ("администратор", "админ", "admin", "administrator"),
    ("владелец", "owner", "собственник"),
    ("руководитель", "начальник", "шеф", "директор", "head"),
    ("подчиненный", "подчинённые"),
    ("отдел", "department"),
    ("структура", "оргструктура", "иерархия"),
    ("группа", "group"),
    ("права", "доступ", "разрешение", "permission", "access", "полномочия"),
    ("роль", "role", "уровень доступа"),
    ("пригласить", "приглашение", "инвайт", "invite", "добавить пользователя"),
    ("удалить", "убрать", "стереть", "delete", "remove"),
    ("восстановить", "вернуть", "restore", "восстановление", "сбросить", "сброс"),
    ("отключить", "выключить", "скрыть", "disable", "убрать"),
    ("включить", "активировать", "enable", "подключить"),
    # accounts and security
    ("аккаунт", "портал", "account", "учетка", "учетная запись"),
    ("адрес", "url", "урл"),
    ("домен", "domain", "доменное имя", "cname", "dns"),
    ("профиль", "profile", "личный кабинет"),
    ("кабинет клиента", "клиентский портал", "личный кабинет клиента"),
    ("регистрация", "зарегистрироваться", "signup", "регаться"),
    ("войти", "вход", "зайти", "логин", "login", "авторизация", "авторизоваться", "залогиниться",
     "заходить", "входить", "пускать", "sign in", "signin"),
    ("пароль", "password", "пасс", "пассворд"),
    ("забыть", "забыл", "потерять", "не помню", "forgot"),
    ("двухфакторный", "2fa", "двухфакторная аутентификация", "otp",
     "authenticator", "аутентификатор"),
    ("аутентификация", "authentication", "авторизация"),
    ("сеанс", "сессия", "session", "устройство", "девайс"),
    ("ip", "айпи", "ip-адрес", "белый список", "whitelist", "vpn", "впн", "сеть", "офисная сеть"),
    ("безопасность", "security", "защита"),
    ("часовой пояс", "timezone", "таймзона"),
    # communication channels and integrations
    ("спам", "spam", "нежелательная почта"),
    ("отправить", "прислать", "выслать", "переслать", "send"),
    ("почта", "email", "e-mail", "емейл", "имейл", "мейл", "mail", "ящик", "мыло", "электронная почта"),
    ("письмо", "email", "мейл", "letter"),
    ("подпись", "signature"),
    ("imap", "имап"),
    ("smtp", "смтп"),
    ("уведомление", "оповещение", "notification", "нотификация", "пуш", "push", "всплывающий", "колокольчик"),
    ("telegram", "телеграм", "телеграмм", "телега", "тг", "tg"),
    ("whatsapp", "ватсап", "вацап", "вотсап", "вотсап", "вацапп", "ватсапп"),
    ("android", "андроид"),
    ("ios", "iphone", "айфон", "ipad"),
    ("мобильный", "mobile", "мобилка", "смартфон"),
    ("приложение", "app", "application", "апп"),
    ("браузер", "browser", "chrome", "хром", "firefox", "safari", "edge"),
    ("телефония", "ip-телефония", "sip", "атс", "voip", "манго", "mango", "zadarma", "задарма",
     "sipuni", "uis", "телфин", "мегафон", "билайн", "мтс", "оператор связи"),
    ("звонок", "call", "вызов", "созвон"),
    ("запись разговора", "запись звонка", "recording"),
    ("виджет", "widget", "обратный звонок", "callback", "онлайн-чат"),
    ("веб-форма", "форма", "form", "landing"),
    ("заявка", "лид", "обращение", "request"),
    ("сайт", "site", "website", "лендинг"),
    ("интеграция", "integration", "интегрировать", "коннектор"),
    ("синхронизация", "обмен", "sync", "синк"),
    ("1с", "1c", "1с бухгалтерия"),
    ("точка", "тинькофф", "т-банк", "сбер", "сбербанк", "альфа", "модульбанк"),
    ("маркетплейс", "marketplace"),
    ("манифест", "manifest"),
    ("встройка", "встраивание", "встроить", "embed"),
    ("шапка", "header", "верхняя панель"),
    ("разработка", "разрабатывать", "development", "разработать"),
    ("api", "апи", "rest", "рест", "rest api"),
    ("ключ", "key", "токен", "token", "apikey"),
    ("oauth", "оаут", "oauth2"),
    ("вебхук", "webhook", "веб-хук", "хук", "hook", "callback url"),
    ("лимит", "ограничение", "limit", "квота", "quota", "превышен"),
    ("постраничный", "пагинация", "pagination", "page", "offset", "страница", "выборка"),
    ("ошибка", "error", "баг", "bug", "глюк", "глючить", "сбой", "fail", "failed"),
    ("импорт", "импортировать", "загрузить", "загрузка", "import", "upload"),
    ("экспорт", "экспортировать", "выгрузить", "export", "скачать", "download"),
    ("excel", "эксель", "ексель", "xls", "xlsx", "csv", "цсв", "таблица"),
    ("json", "джейсон"),
    ("настройка", "настроить", "settings", "параметры", "setup", "конфиг", "шестеренка", "шестерёнка"),
    ("перенос", "переместить", "перетащить", "перевести", "move"),
    ("завершить", "завершение", "закрыть", "выполнить", "complete"),
    ("редактировать", "изменить", "исправить", "поменять", "сменить", "edit", "карандаш", "перепривязать",
     "отвязать"),
    ("выйти", "выход", "разлогиниться", "logout", "завершить сеанс"),
    ("создать", "создание", "завести", "добавить", "create"),
)

# One-way rewrites of chat filler and error codes into the words the help center uses. (The rewrites of
# slang and symptoms, written from labelled questions, are gone: on new wording they changed nothing;
# the sentence encoder of `knowledge.encoder` reads such wording.) The key is a phrase (normalised words
# in order, nothing may come in between); the value replaces it: each space-separated part is one
# meaning of the query, «a/b» are alternatives for one meaning.
SLANG: dict[str, str] = {
    # pleasantries: nothing to search for
    "как дела": "",
    "как жизнь": "",
    "как настроение": "",
    "как поживаете": "",
    "добрый день": "",
    "доброе утро": "",
    "добрый вечер": "",
    "спасибо большое": "",
    # error codes the API and the web server answer with
    "too many requests": "лимит/запросов",
    "429": "лимит/запросов",
    "401": "ошибка ключ/авторизация",
    "403": "ошибка доступ",
    "404": "ошибка",
    "500": "ошибка сервер",
}

# Web addresses: the product's own domain names an account; other domains are the user's sites.
OWN_DOMAIN = "aspro.cloud"
OWN_ADDRESS_WORDS = ("адрес", "аккаунта")
DOMAIN_ENDINGS = frozenset({"ru", "com", "net", "org", "io", "cloud", "su", "рф", "info", "biz", "pro", "online"})

# English words a user may type (or transliterate) meaning a help-center term in Russian.
ENGLISH: dict[str, str] = {
    "notifications": "уведомления",
    "notification": "уведомление",
    "settings": "настройки",
    "setting": "настройка",
    "how": "",
    "vs": "",
    "or": "",
    "and": "",
    "to": "",
    "in": "",
    "the": "",
    "not": "не",
    "working": "работает",
    "work": "работа",
    "create": "создать",
    "add": "добавить",
    "delete": "удалить",
    "remove": "удалить",
    "change": "изменить",
    "password": "пароль",
    "login": "вход",
    "user": "пользователь",
    "users": "пользователи",
    "deal": "сделка",
    "deals": "сделки",
    "task": "задача",
    "tasks": "задачи",
    "invoice": "счет",
    "report": "отчет",
    "bot": "бот",
    "error": "ошибка",
    "errors": "ошибки",
    "access": "доступ",
    "rights": "права",
    "permissions": "права",
    "mail": "почта",
    "email": "почта",
    "import": "импорт",
    "export": "экспорт",
    "page": "страница",
    "limit": "лимит",
    "limits": "лимиты",
    "calendar": "календарь",
    "project": "проект",
    "projects": "проекты",
    "template": "шаблон",
    "templates": "шаблоны",
    "mobile": "мобильное",
    "app": "приложение",
    "browser": "браузер",
    "can": "",
    "cant": "",
    "cannot": "",
    "t": "",
    "don": "",
    "doesn": "",
    "isn": "",
    "does": "",
    "is": "",
    "my": "",
    "a": "",
    "of": "",
    "for": "",
    "with": "",
    "from": "",
    "on": "",
    "where": "",
    "what": "",
    "why": "",
    "sign": "вход",
    "integrations": "интеграции",
    "account": "аккаунт",
    "client": "клиент",
    "clients": "клиенты",
    "customers": "клиенты",
    "contacts": "контакты",
    "company": "компания",
    "companies": "компании",
    "stage": "этап",
    "stages": "этапы",
    "fields": "поля",
    "roles": "роли",
    "groups": "группы",
    "payments": "платежи",
    "invoices": "счета",
    "reset": "сброс",
    "forgot": "забыл",
    "duplicates": "дубли",
    "calls": "звонки",
    "telephony": "телефония",
    "subscription": "подписка",
    "pricing": "тариф",
    "tariff": "тариф",
    "sessions": "сеансы",
    "products": "товары",
    "documents": "документы",
    "subtasks": "подзадачи",
    "board": "доска",
    "files": "файлы",
    "file": "файл",
    "attachments": "вложения",
    "timezone": "часовой пояс",
    "department": "отдел",
    "departments": "отделы",
}

# Other vendors' products, platforms and services. The help mentions a few of them (it connects
# Telegram, WhatsApp, 1С, IP telephony and a bank), but a question that names one of them and
# nothing of the product's own is usually about that other product («как перенести чаты whatsapp
# на новый телефон»): the search weighs how much of the rest of the query an article answers.
_THIRD_PARTY_TEXT = """
    whatsapp ватсап вацап вотсап вацапп ватсапп telegram телеграм телеграмм телега тг tg viber вайбер
    instagram инстаграм facebook фейсбук вконтакте вк vk одноклассники
    1с 1c унф битрикс bitrix битрикс24 bitrix24 амо amo amocrm амосрм мегаплан
    jira джира trello трелло asana notion ноушн slack слак zoom зум skype скайп teams
    outlook аутлук gmail гмейл яндекс yandex гугл google
    android андроид ios iphone айфон ipad айпад windows виндовс винда macos linux линукс
    госуслуги налоговая фнс сбис контур диадок эдо
    wordpress вордпресс тильда tilda joomla opencart
    python питон php пхп javascript js sql postgresql postgres mysql nginx apache docker
    роутер wifi вайфай хостинг timeweb beget
    word ворд photoshop фотошоп figma фигма
"""
THIRD_PARTY: frozenset[str] = frozenset(_THIRD_PARTY_TEXT.split())
