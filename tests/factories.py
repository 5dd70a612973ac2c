import factory
from django.contrib.auth.hashers import make_password

from users.models import Role, User

PASSWORD = "Sup3r*Secret"


class UserFactory(factory.django.DjangoModelFactory):
    """A verified AUTHENTICATED member whose password is PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    nickname = factory.Sequence(lambda n: f"member_{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    bio = factory.Faker("sentence")
    password = factory.LazyFunction(lambda: make_password(PASSWORD))
    role = Role.AUTHENTICATED
    email_verified = True

    class Params:
        unverified = factory.Trait(role=Role.ANONYMOUS, email_verified=False)
        locked = factory.Trait(is_locked=True, failed_login_attempts=3)
        manager = factory.Trait(role=Role.MANAGER)
        admin = factory.Trait(role=Role.ADMIN)
