"""cs: the customer-support agent, which analyses player feedback tickets.

It answers questions such as "5.0.13 패치 프로토스 불만" or "what do players say
about Zerg?" with complaint volume per race, the top topics, sentiment and the
change from the previous patch. Tickets are generated deterministically from a
seed (``dataset``); topic and sentiment are read from each ticket's text by small
bilingual lexicons (``logic``), so the same analysis would run on real tickets.

Modules: ``domain`` (races, patches, units, maps), ``templates`` and ``dataset``
(the tickets), ``lexicon`` and ``logic`` (classification and analysis),
``query`` (questions to queries), ``report`` (the answer's text), and the file set
every agent has: ``executor``, ``app``, ``settings``, ``__main__``.
"""
