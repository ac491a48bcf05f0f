"""A name -> class registry, so callers build components by name without knowing the backends."""

import inspect


class Registry:
    """Maps names to classes; `build` checks the options before constructing.

    Example:
        >>> widgets = Registry("widget")
        >>> @widgets.register("plain")
        ... class Plain:
        ...     def __init__(self, size=1):
        ...         self.size = size
        >>> widgets.build("plain", size=3).size
        3
        >>> widgets.names()
        ['plain']
    """

    def __init__(self, kind):
        self.kind = kind
        self._classes = {}

    def register(self, name):
        """Class decorator that registers the class under `name` (and sets its `name` attribute).

        Example:
            >>> things = Registry("thing")
            >>> @things.register("a")
            ... class A:
            ...     pass
            >>> A.name
            'a'
        """

        def decorate(cls):
            if name in self._classes:
                raise ValueError(f"{self.kind} '{name}' is registered twice: pick another name")
            cls.name = name
            self._classes[name] = cls
            return cls

        return decorate

    def names(self):
        """Sorted names of the registered classes.

        Example:
            >>> Registry("thing").names()
            []
        """
        return sorted(self._classes)

    def get(self, name):
        """The class registered as `name`; ValueError listing the known names otherwise.

        Example:
            >>> Registry("thing").get("nope")
            Traceback (most recent call last):
            ...
            ValueError: unknown thing 'nope': available things are (none)
        """
        if name not in self._classes:
            known = ", ".join(self.names()) or "(none)"
            raise ValueError(f"unknown {self.kind} '{name}': available {self.kind}s are {known}")
        return self._classes[name]

    def build(self, name, **options):
        """Construct the class registered as `name` with `options`, naming any unknown option.

        Example:
            >>> things = Registry("thing")
            >>> @things.register("a")
            ... class A:
            ...     def __init__(self, k=1):
            ...         self.k = k
            >>> things.build("a", k=2).k
            2
            >>> things.build("a", j=2)
            Traceback (most recent call last):
            ...
            ValueError: thing 'a' has no option 'j': its options are k
        """
        cls = self.get(name)
        parameters = inspect.signature(cls).parameters
        accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        if not accepts_any:
            for option in options:
                if option not in parameters:
                    known = ", ".join(parameters) or "(none)"
                    raise ValueError(
                        f"{self.kind} '{name}' has no option '{option}': its options are {known}"
                    )
        return cls(**options)
